package lookalike

// editOf returns the number of edits (1 or 2) that turn label into
// a brand label, or 0 when it is not a near miss. Only labels of real
// domains of at least 5 characters are compared (shorter names are a letter
// away from countless words). A brand label of 8 or more characters allows
// two edits, of which at most one may replace a letter: typos drop, double
// or swap letters ("mcrosoft", "mircosfot"), while two replaced letters
// make another word ("sonybank" is a bank, not "softbank"). The first
// character must be the same: typosquats keep the start that readers look
// at, while unrelated words differ there ("email"/"gmail",
// "switch"/"twitch", "interest"/"pinterest").
func editOf(label string, k brandKey) int {
	if !k.label || len(k.key) < 5 || label == k.key || label == "" || label[0] != k.key[0] || !isASCII(label) {
		return 0
	}
	limit := oneEdit
	if len(k.key) >= 8 {
		limit = twoEdits
	}
	d := distance(label, k.key, limit)
	switch {
	case d <= oneEdit:
		return 1
	case d <= limit:
		return 2
	}
	return 0
}

// Weights of distance: inserting, deleting or swapping neighbouring
// letters costs 2, replacing a letter 3. One edit costs at most 3; two edits
// of which at most one replaces a letter cost at most 5.
const (
	oneEdit  = 3
	twoEdits = 5
)

// distance is a weighted optimal string alignment distance
// (Levenshtein plus swaps of neighbouring letters) between two ASCII
// strings, or limit+1 when it exceeds limit.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); 2*d > limit || -2*d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = 2 * j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = 2 * i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			sub := 3
			if a[i-1] == b[j-1] {
				sub = 0
			}
			v := min(prev[j]+2, cur[j-1]+2, prev[j-1]+sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+2)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}
