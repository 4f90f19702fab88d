package verdict

import (
	"encoding/json"
	"testing"
)

func TestWorst(t *testing.T) {
	check := func(want Level, ls ...Level) {
		t.Helper()
		if got := Worst(ls...); got != want {
			t.Errorf("Worst(%v) = %s, want %s", ls, got, want)
		}
	}
	check(Clean)
	check(Clean, Clean, Clean)
	check(Unknown, Clean, Unknown)
	check(Suspicious, Unknown, Suspicious, Clean)
	check(Malicious, Suspicious, Malicious, Unknown)
	check(Unknown, Clean, Level("bogus")) // never clean by accident
}

func TestLevelJSON(t *testing.T) {
	var v Verdict
	if err := json.Unmarshal([]byte(`{"level":"safe"}`), &v); err == nil {
		t.Error("level \"safe\" accepted")
	}
	if err := json.Unmarshal([]byte(`{"level":"malicious","reasons":[{"code":"credential-form","level":"malicious","ja":"…","en":"…"}]}`), &v); err != nil || v.Level != Malicious || FromReasons(v.Reasons) != Malicious {
		t.Errorf("round trip: %+v %v", v, err)
	}
}
