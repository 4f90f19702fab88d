package console

import (
	"fmt"
	"strings"
	"time"
)

// Chart is an inline SVG line chart of clicks over time, one line per
// action. It is computed here (coordinates as strings) so the template
// only places them: no script, no style attribute.
type Chart struct {
	W, H   int
	Plot   Rect // the plotting area
	Series []Series
	XTicks []Tick
	YTicks []Tick
	Empty  bool
}

// Rect is an SVG rectangle.
type Rect struct{ X, Y, W, H int }

// Series is one action's line.
type Series struct {
	Action string
	Points string // SVG polyline points
	Total  int
}

// Tick is an axis label at a position.
type Tick struct {
	X, Y  int
	Label string
}

// Bucket is the click counts by action in one time slot.
type Bucket struct {
	Start  time.Time
	Counts map[string]int
}

// ChartActions are the actions drawn, in legend order.
var ChartActions = []string{"redirect", "warn", "block", "checking", "neutral", "error"}

// NewChart lays out buckets (oldest first, equal widths) as a chart.
func NewChart(buckets []Bucket) Chart {
	c := Chart{W: 720, H: 220, Plot: Rect{X: 44, Y: 10, W: 660, H: 180}}
	maxN := 0
	for _, b := range buckets {
		for _, n := range b.Counts {
			maxN = max(maxN, n)
		}
	}
	c.Empty = maxN == 0
	top := niceCeil(max(maxN, 1))
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		y := c.Plot.Y + c.Plot.H - c.Plot.H*i/4
		c.YTicks = append(c.YTicks, Tick{X: c.Plot.X - 6, Y: y, Label: fmt.Sprint(v)})
	}
	n := len(buckets)
	x := func(i int) int {
		if n <= 1 {
			return c.Plot.X
		}
		return c.Plot.X + c.Plot.W*i/(n-1)
	}
	for i, b := range buckets {
		if n <= 8 || i%(n/6) == 0 {
			c.XTicks = append(c.XTicks, Tick{X: x(i), Y: c.Plot.Y + c.Plot.H + 16, Label: b.Start.UTC().Format("15:04")})
		}
	}
	for _, a := range ChartActions {
		var pts strings.Builder
		total := 0
		for i, b := range buckets {
			v := b.Counts[a]
			total += v
			y := c.Plot.Y + c.Plot.H - c.Plot.H*v/top
			fmt.Fprintf(&pts, "%d,%d ", x(i), y)
		}
		if total > 0 {
			c.Series = append(c.Series, Series{Action: a, Points: strings.TrimSpace(pts.String()), Total: total})
		}
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, times 4 ticks.
func niceCeil(n int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p*4 >= n {
				return m * p * 4
			}
		}
	}
}
