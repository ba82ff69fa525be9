// Test oracle for thanosts's native histogram model: Prometheus's own model/histogram code
// (the module pinned in test/peers/prometheus), driven by JSON lines on stdin, one answer per
// line on stdout. Built and run only by test/core/histogram/prometheus-oracle.ts. Floats
// travel as the hex of their bits so that NaN payloads, -0 and every rounding survive.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"

	jsoniter "github.com/json-iterator/go"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/convertnhcb"
	"github.com/prometheus/prometheus/util/jsonutil"
)

type hist struct {
	Hint uint8    `json:"hint"`
	Sch  int32    `json:"schema"`
	ZT   string   `json:"zt"`
	ZC   string   `json:"zc"`
	C    string   `json:"c"`
	Sum  string   `json:"sum"`
	PS   []int64  `json:"ps"`
	PB   []string `json:"pb"`
	NS   []int64  `json:"ns"`
	NB   []string `json:"nb"`
	CV   []string `json:"cv"`
}

type req struct {
	Op    string  `json:"op"`
	A     hist    `json:"a"`
	B     *hist   `json:"b,omitempty"`
	N     int     `json:"n"`
	F     string  `json:"f"`
	Hs    []hist  `json:"hs"`
	Ts    []int64 `json:"ts"`
	Float bool    `json:"float"`
	// For 'convertnhcb': classic pieces, applied in order ("b" bucket le/count, "c" count, "s" sum).
	Classic []piece `json:"classic"`
}

type piece struct {
	Kind string `json:"k"`
	Le   string `json:"le"`
	V    string `json:"v"`
}

type resp struct {
	H         *hist    `json:"h,omitempty"`
	Collision bool     `json:"collision,omitempty"`
	Reconcile bool     `json:"reconciled,omitempty"`
	Bool      bool     `json:"bool,omitempty"`
	Err       string   `json:"err,omitempty"`
	Panic     string   `json:"panic,omitempty"`
	JSON      string   `json:"json,omitempty"`
	Chunks    []string `json:"chunks,omitempty"`
	Comp      *hist    `json:"comp,omitempty"`
}

func fl(s string) float64 {
	u, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		panic(err)
	}
	return math.Float64frombits(u)
}

func hx(f float64) string { return strconv.FormatUint(math.Float64bits(f), 16) }

func fls(s []string) []float64 {
	if s == nil {
		return nil
	}
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = fl(v)
	}
	return out
}

func hxs(f []float64) []string {
	out := make([]string, len(f))
	for i, v := range f {
		out[i] = hx(v)
	}
	return out
}

func spans(s []int64) []histogram.Span {
	var out []histogram.Span
	for i := 0; i+1 < len(s); i += 2 {
		out = append(out, histogram.Span{Offset: int32(s[i]), Length: uint32(s[i+1])})
	}
	return out
}

func flat(s []histogram.Span) []int64 {
	out := []int64{}
	for _, x := range s {
		out = append(out, int64(x.Offset), int64(x.Length))
	}
	return out
}

func toFH(h hist) *histogram.FloatHistogram {
	return &histogram.FloatHistogram{
		CounterResetHint: histogram.CounterResetHint(h.Hint), Schema: h.Sch, ZeroThreshold: fl(h.ZT), ZeroCount: fl(h.ZC),
		Count: fl(h.C), Sum: fl(h.Sum), PositiveSpans: spans(h.PS), PositiveBuckets: fls(h.PB),
		NegativeSpans: spans(h.NS), NegativeBuckets: fls(h.NB), CustomValues: fls(h.CV),
	}
}

func fromFH(h *histogram.FloatHistogram) *hist {
	return &hist{Hint: uint8(h.CounterResetHint), Sch: h.Schema, ZT: hx(h.ZeroThreshold), ZC: hx(h.ZeroCount), C: hx(h.Count), Sum: hx(h.Sum),
		PS: flat(h.PositiveSpans), PB: hxs(h.PositiveBuckets), NS: flat(h.NegativeSpans), NB: hxs(h.NegativeBuckets), CV: hxs(h.CustomValues)}
}

func ints(s []string) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(fl(v))
	}
	return out
}

func toH(h hist) *histogram.Histogram {
	return &histogram.Histogram{
		CounterResetHint: histogram.CounterResetHint(h.Hint), Schema: h.Sch, ZeroThreshold: fl(h.ZT), ZeroCount: uint64(fl(h.ZC)),
		Count: uint64(fl(h.C)), Sum: fl(h.Sum), PositiveSpans: spans(h.PS), PositiveBuckets: ints(h.PB),
		NegativeSpans: spans(h.NS), NegativeBuckets: ints(h.NB), CustomValues: fls(h.CV),
	}
}

func fromH(h *histogram.Histogram) *hist {
	pb := make([]float64, len(h.PositiveBuckets))
	for i, v := range h.PositiveBuckets {
		pb[i] = float64(v)
	}
	nb := make([]float64, len(h.NegativeBuckets))
	for i, v := range h.NegativeBuckets {
		nb[i] = float64(v)
	}
	return &hist{Hint: uint8(h.CounterResetHint), Sch: h.Schema, ZT: hx(h.ZeroThreshold), ZC: hx(float64(h.ZeroCount)), C: hx(float64(h.Count)), Sum: hx(h.Sum),
		PS: flat(h.PositiveSpans), PB: hxs(pb), NS: flat(h.NegativeSpans), NB: hxs(nb), CV: hxs(h.CustomValues)}
}

func encodeChunks(r req) resp {
	// A series through Prometheus's chunk appenders alone (AppendHistogram and
	// AppendFloatHistogram without a previous appender, as for a series' first chunk and
	// every chunk the appender cuts itself), as hex of each chunk's bytes.
	var c chunkenc.Chunk
	if r.Float {
		c = chunkenc.NewFloatHistogramChunk()
	} else {
		c = chunkenc.NewHistogramChunk()
	}
	app, err := c.Appender()
	if err != nil {
		return resp{Err: err.Error()}
	}
	var chunks []chunkenc.Chunk
	for i, w := range r.Hs {
		var nc chunkenc.Chunk
		var recoded bool
		if r.Float {
			nc, recoded, app, err = app.AppendFloatHistogram(nil, 0, r.Ts[i], toFH(w), false)
		} else {
			nc, recoded, app, err = app.AppendHistogram(nil, 0, r.Ts[i], toH(w), false)
		}
		if err != nil {
			return resp{Err: err.Error()}
		}
		if nc != nil {
			if !recoded {
				chunks = append(chunks, c)
			}
			c = nc
		}
	}
	chunks = append(chunks, c)
	out := resp{}
	for _, ch := range chunks {
		out.Chunks = append(out.Chunks, fmt.Sprintf("%x", ch.Bytes()))
	}
	return out
}

func run(r req) (out resp) {
	defer func() {
		if p := recover(); p != nil {
			out = resp{Panic: fmt.Sprint(p)}
		}
	}()
	if r.Op == "chunks" {
		return encodeChunks(r)
	}
	if r.Op == "convertnhcb" {
		// convertnhcb.TempHistogram fed the pieces in order, then Convert: the integer
		// histogram (bool set) or the float one.
		t := convertnhcb.NewTempHistogram()
		for _, p := range r.Classic {
			switch p.Kind {
			case "b":
				_ = t.SetBucketCount(fl(p.Le), fl(p.V))
			case "c":
				_ = t.SetCount(fl(p.V))
			case "s":
				_ = t.SetSum(fl(p.V))
			}
		}
		h, fh, err := t.Convert()
		if err != nil {
			return resp{Err: err.Error()}
		}
		if h != nil {
			return resp{H: fromH(h), Bool: true}
		}
		return resp{H: fromFH(fh)}
	}
	if r.Op == "kahanSum" {
		// hs[0] plus every further one through KahanAdd: the sum and its compensation as they
		// are before the compensation is added in, and the collision/reconciled flags of any add.
		sum := toFH(r.Hs[0])
		var c *histogram.FloatHistogram
		out := resp{}
		for _, w := range r.Hs[1:] {
			var coll, rec bool
			var err error
			c, coll, rec, err = sum.KahanAdd(toFH(w), c)
			if err != nil {
				return resp{Err: err.Error()}
			}
			out.Collision = out.Collision || coll
			out.Reconcile = out.Reconcile || rec
		}
		out.H = fromFH(sum)
		if c != nil {
			out.Comp = fromFH(c)
		}
		return out
	}
	a := toFH(r.A)
	switch r.Op {
	case "add", "sub":
		b := toFH(*r.B)
		var res *histogram.FloatHistogram
		var coll, rec bool
		var err error
		if r.Op == "add" {
			res, coll, rec, err = a.Add(b)
		} else {
			res, coll, rec, err = a.Sub(b)
		}
		if err != nil {
			return resp{Err: err.Error()}
		}
		return resp{H: fromFH(res), Collision: coll, Reconcile: rec}
	case "compact":
		return resp{H: fromFH(a.Compact(r.N))}
	case "detectReset":
		return resp{Bool: a.DetectReset(toFH(*r.B))}
	case "equals":
		return resp{Bool: a.Equals(toFH(*r.B))}
	case "mul":
		return resp{H: fromFH(a.Mul(fl(r.F)))}
	case "div":
		return resp{H: fromFH(a.Div(fl(r.F)))}
	case "trimUpper", "trimLower":
		return resp{H: fromFH(a.TrimBuckets(fl(r.F), r.Op == "trimUpper"))}
	case "copyToSchema":
		return resp{H: fromFH(a.CopyToSchema(int32(r.N)))}
	case "validate":
		if err := a.Validate(); err != nil {
			return resp{Err: err.Error()}
		}
		return resp{}
	case "json":
		s := jsoniter.ConfigCompatibleWithStandardLibrary.BorrowStream(nil)
		jsonutil.MarshalHistogram(a, s)
		return resp{JSON: string(s.Buffer())}
	case "intCompact":
		return resp{H: fromH(toH(r.A).Compact(r.N))}
	case "intReduce":
		h := toH(r.A)
		if err := h.ReduceResolution(int32(r.N)); err != nil {
			return resp{Err: err.Error()}
		}
		return resp{H: fromH(h)}
	case "intValidate":
		if err := toH(r.A).Validate(); err != nil {
			return resp{Err: err.Error()}
		}
		return resp{}
	case "intToFloat":
		return resp{H: fromFH(toH(r.A).ToFloat(nil))}
	}
	return resp{Err: "unknown op " + r.Op}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var r req
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			enc.Encode(resp{Err: "bad request: " + err.Error()})
		} else {
			enc.Encode(run(r))
		}
		out.Flush()
	}
}
