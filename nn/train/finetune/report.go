package finetune

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// Report file names, as written by `ocellus train --out` and stored as run
// artifacts.
const (
	ConfusionSVG = "confusion.svg"
	ConfusionPNG = "confusion.png"
	CurvesSVG    = "curves.svg"
	CurvesPNG    = "curves.png"
	SummaryJSON  = "summary.json"
)

// chart is a drawing in a small vector vocabulary that both renderers
// understand: the SVG one writes it as text, the PNG one rasterises it
// (text only as digits, drawn with a 3×5 pixel font).
type chart struct {
	w, h  int
	rects []rect
	lines []polyline
	texts []text
}

type rect struct {
	x, y, w, h float64
	fill       color.RGBA
}

type polyline struct {
	pts   [][2]float64
	color color.RGBA
	width float64
	dash  bool
}

type text struct {
	x, y   float64
	s      string
	size   float64
	anchor string // start, middle, end
	color  color.RGBA
}

var (
	black = color.RGBA{0, 0, 0, 255}
	grey  = color.RGBA{200, 200, 200, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// Reports renders the confusion-matrix heatmap and the loss/AUC curves of
// a result as SVG and PNG.
func Reports(r Result) (map[string][]byte, error) {
	out := map[string][]byte{}
	cm := confusionChart(r.Test)
	cu := curvesChart(r.Phases)
	out[ConfusionSVG] = cm.svg()
	out[CurvesSVG] = cu.svg()
	var err error
	if out[ConfusionPNG], err = cm.png(); err != nil {
		return nil, err
	}
	if out[CurvesPNG], err = cu.png(); err != nil {
		return nil, err
	}
	return out, nil
}

// confusionChart draws t.Confusion: one row per entry of t.Classes (true
// label, recall), one column per model class (predicted, precision). With
// unknown labels (see Evaluate) there are more rows than columns.
func confusionChart(t TestReport) *chart {
	rows, cols := len(t.Confusion), 0
	if rows > 0 {
		cols = len(t.Confusion[0])
	}
	cell := 80.0
	left, top := 140.0, 60.0
	c := &chart{w: int(left + cell*float64(cols) + 40), h: int(top + cell*float64(rows) + 70)}
	c.rects = append(c.rects, rect{0, 0, float64(c.w), float64(c.h), white})
	c.texts = append(c.texts, text{float64(c.w) / 2, 24, fmt.Sprintf("Confusion matrix (%s, %d samples, accuracy %.3f)", t.Split, t.Samples, t.Accuracy), 14, "middle", black})
	mx := 1
	for _, row := range t.Confusion {
		for _, v := range row {
			mx = max(mx, v)
		}
	}
	for i, row := range t.Confusion {
		for j, v := range row {
			f := float64(v) / float64(mx)
			fill := color.RGBA{uint8(255 - 200*f), uint8(255 - 150*f), 255, 255}
			x, y := left+cell*float64(j), top+cell*float64(i)
			c.rects = append(c.rects, rect{x, y, cell - 2, cell - 2, fill})
			tc := black
			if f > 0.6 {
				tc = white
			}
			c.texts = append(c.texts, text{x + cell/2, y + cell/2 + 6, fmt.Sprint(v), 18, "middle", tc})
		}
		c.texts = append(c.texts, text{left - 8, top + cell*float64(i) + cell/2 + 4, t.Classes[i] + fmt.Sprintf(" (R %.2f)", finite(t.Recall[i])), 12, "end", black})
	}
	for j := 0; j < cols; j++ {
		c.texts = append(c.texts,
			text{left + cell*float64(j) + cell/2, top + cell*float64(rows) + 18, t.Classes[j], 12, "middle", black},
			text{left + cell*float64(j) + cell/2, top + cell*float64(rows) + 34, fmt.Sprintf("P %.2f", finite(t.Precision[j])), 11, "middle", black})
	}
	c.texts = append(c.texts,
		text{left + cell*float64(cols)/2, top + cell*float64(rows) + 56, "predicted", 12, "middle", black},
		text{12, top - 10, "true", 12, "start", black})
	return c
}

func curvesChart(phases []PhaseResult) *chart {
	const pw, ph, gap, left, top = 520.0, 220.0, 60.0, 60.0, 40.0
	c := &chart{w: int(left + pw + 150), h: int(top + 2*ph + gap + 50)}
	c.rects = append(c.rects, rect{0, 0, float64(c.w), float64(c.h), white})
	// One x axis over both phases, epochs numbered on.
	type pt struct{ x, tl, vl, auc float64 }
	var pts []pt
	var bounds []float64
	x := 0.0
	for pi, p := range phases {
		if pi > 0 {
			bounds = append(bounds, x+0.5)
		}
		for _, e := range p.History {
			x++
			pts = append(pts, pt{x, e.TrainLoss, e.ValLoss, e.ValAUC})
		}
	}
	n := math.Max(x, 1)
	lmax := 0.0
	for _, p := range pts {
		lmax = math.Max(lmax, math.Max(finite(p.tl), finite(p.vl)))
	}
	if lmax == 0 {
		lmax = 1
	}
	panel := func(y0 float64, title string, lo, hi float64, series []struct {
		name string
		col  color.RGBA
		dash bool
		v    func(pt) float64
	}) {
		c.rects = append(c.rects, rect{left, y0, pw, ph, color.RGBA{248, 248, 248, 255}})
		c.texts = append(c.texts, text{left + pw/2, y0 - 8, title, 13, "middle", black})
		for i := 0; i <= 4; i++ {
			v := lo + (hi-lo)*float64(i)/4
			y := y0 + ph - ph*float64(i)/4
			c.lines = append(c.lines, polyline{[][2]float64{{left, y}, {left + pw, y}}, grey, 1, false})
			c.texts = append(c.texts, text{left - 6, y + 4, fmt.Sprintf("%.2f", v), 10, "end", black})
		}
		for _, b := range bounds {
			bx := left + pw*(b/n)
			c.lines = append(c.lines, polyline{[][2]float64{{bx, y0}, {bx, y0 + ph}}, color.RGBA{150, 150, 150, 255}, 1, true})
		}
		for si, s := range series {
			var pl polyline
			pl.color, pl.width, pl.dash = s.col, 2, s.dash
			for _, p := range pts {
				v := s.v(p)
				if math.IsNaN(v) {
					continue
				}
				v = math.Min(math.Max(v, lo), hi)
				pl.pts = append(pl.pts, [2]float64{left + pw*(p.x/n), y0 + ph - ph*(v-lo)/(hi-lo)})
			}
			c.lines = append(c.lines, pl)
			ly := y0 + 20 + 18*float64(si)
			c.lines = append(c.lines, polyline{[][2]float64{{left + pw + 12, ly - 4}, {left + pw + 36, ly - 4}}, s.col, 2, s.dash})
			c.texts = append(c.texts, text{left + pw + 42, ly, s.name, 11, "start", black})
		}
		c.texts = append(c.texts, text{left + pw/2, y0 + ph + 16, fmt.Sprintf("epoch (1–%d)", int(x)), 10, "middle", black})
	}
	blue, orange, green := color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255}
	panel(top, "Loss", 0, lmax*1.05, []struct {
		name string
		col  color.RGBA
		dash bool
		v    func(pt) float64
	}{{"train loss", blue, false, func(p pt) float64 { return p.tl }}, {"val loss", orange, true, func(p pt) float64 { return p.vl }}})
	panel(top+ph+gap, "Validation AUC", 0.5, 1, []struct {
		name string
		col  color.RGBA
		dash bool
		v    func(pt) float64
	}{{"val AUC", green, false, func(p pt) float64 { return p.auc }}})
	return c
}

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func (c *chart) svg() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", c.w, c.h, c.w, c.h)
	for _, r := range c.rects {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", r.x, r.y, r.w, r.h, hexColor(r.fill))
	}
	for _, l := range c.lines {
		if len(l.pts) == 0 {
			continue
		}
		var pts []string
		for _, p := range l.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p[0], p[1]))
		}
		dash := ""
		if l.dash {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%.1f"%s/>`+"\n", strings.Join(pts, " "), hexColor(l.color), l.width, dash)
	}
	for _, t := range c.texts {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="%.0f" text-anchor="%s" fill="%s">%s</text>`+"\n", t.x, t.y, t.size, t.anchor, hexColor(t.color), html.EscapeString(t.s))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// glyph is a 3×5 pixel font for the characters PNG text keeps: digits,
// '.' and '-', each five rows of three pixels ('#' set).
func glyph(r rune) (g [5]string, ok bool) {
	switch r {
	case '0':
		g = [5]string{"###", "#.#", "#.#", "#.#", "###"}
	case '1':
		g = [5]string{".#.", "##.", ".#.", ".#.", "###"}
	case '2':
		g = [5]string{"###", "..#", "###", "#..", "###"}
	case '3':
		g = [5]string{"###", "..#", "###", "..#", "###"}
	case '4':
		g = [5]string{"#.#", "#.#", "###", "..#", "..#"}
	case '5':
		g = [5]string{"###", "#..", "###", "..#", "###"}
	case '6':
		g = [5]string{"###", "#..", "###", "#.#", "###"}
	case '7':
		g = [5]string{"###", "..#", "..#", "..#", "..#"}
	case '8':
		g = [5]string{"###", "#.#", "###", "#.#", "###"}
	case '9':
		g = [5]string{"###", "#.#", "###", "..#", "###"}
	case '.':
		g = [5]string{"...", "...", "...", "...", ".#."}
	case '-':
		g = [5]string{"...", "...", "###", "...", "..."}
	default:
		return g, false
	}
	return g, true
}

func (c *chart) png() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	for _, r := range c.rects {
		for y := int(r.y); y < int(r.y+r.h) && y < c.h; y++ {
			for x := int(r.x); x < int(r.x+r.w) && x < c.w; x++ {
				if x >= 0 && y >= 0 {
					img.SetRGBA(x, y, r.fill)
				}
			}
		}
	}
	for _, l := range c.lines {
		for i := 1; i < len(l.pts); i++ {
			drawLine(img, l.pts[i-1], l.pts[i], l.color, l.width, l.dash)
		}
	}
	for _, t := range c.texts {
		// Only numeric texts are drawn (no font for letters).
		s := t.s
		ok := s != ""
		for _, r := range s {
			if _, in := glyph(r); !in {
				ok = false
			}
		}
		if !ok {
			continue
		}
		scale := math.Max(1, math.Round(t.size/6))
		w := float64(len(s))*4*scale - scale
		x0 := t.x
		switch t.anchor {
		case "middle":
			x0 -= w / 2
		case "end":
			x0 -= w
		}
		y0 := t.y - 5*scale
		for i, r := range s {
			g, _ := glyph(r)
			for gy := 0; gy < 5; gy++ {
				for gx := 0; gx < 3; gx++ {
					if g[gy][gx] != '#' {
						continue
					}
					px := x0 + float64(i)*4*scale + float64(gx)*scale
					py := y0 + float64(gy)*scale
					for dy := 0; dy < int(scale); dy++ {
						for dx := 0; dx < int(scale); dx++ {
							x, y := int(px)+dx, int(py)+dy
							if image.Pt(x, y).In(img.Rect) {
								img.SetRGBA(x, y, t.color)
							}
						}
					}
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// drawLine stamps squares of side width along the segment a→b (every
// half pixel), skipping alternate 8-pixel runs when dashed.
func drawLine(img *image.RGBA, a, b [2]float64, col color.RGBA, width float64, dash bool) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	n := int(math.Ceil(2*math.Hypot(dx, dy))) + 1
	h := int(math.Max(1, width))
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(n)
		if dash && (i/16)%2 == 1 {
			continue
		}
		x, y := int(a[0]+f*dx)-h/2, int(a[1]+f*dy)-h/2
		for yy := y; yy < y+h; yy++ {
			for xx := x; xx < x+h; xx++ {
				if image.Pt(xx, yy).In(img.Rect) {
					img.SetRGBA(xx, yy, col)
				}
			}
		}
	}
}
