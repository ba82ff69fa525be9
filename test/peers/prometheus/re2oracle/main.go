// re2oracle answers, for thanosts's differential regex tests (test/helpers/re2-oracle.ts), what
// Prometheus 3.14 itself does with a regex: one JSON request per stdin line,
// {"p": pattern, "in": [inputs]}, one JSON answer per stdout line. "m" is the verdict of the
// label matcher (labels.NewFastRegexMatcher, fast paths included); "lr" is what label_replace
// does, which compiles "^(?s:" + pattern + ")$" unparsed (promql/functions.go) and reads the
// groups of the first match. Not product code.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/grafana/regexp"
	"github.com/prometheus/prometheus/model/labels"
)

type request struct {
	P  string   `json:"p"`
	In []string `json:"in"`
}

type labelReplace struct {
	Err   string      `json:"err,omitempty"`
	Names []string    `json:"names,omitempty"`
	Caps  [][]*string `json:"caps,omitempty"`
}

type answer struct {
	Err string       `json:"err,omitempty"`
	M   []bool       `json:"m"`
	LR  labelReplace `json:"lr"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<28)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			panic(err)
		}
		a := answer{M: []bool{}}
		if m, err := labels.NewFastRegexMatcher(req.P); err != nil {
			a.Err = err.Error()
		} else {
			for _, s := range req.In {
				a.M = append(a.M, m.MatchString(s))
			}
		}
		if re, err := regexp.Compile("^(?s:" + req.P + ")$"); err != nil {
			a.LR.Err = err.Error()
		} else {
			a.LR.Names = re.SubexpNames()
			for _, s := range req.In {
				a.LR.Caps = append(a.LR.Caps, groups(re, s))
			}
		}
		if err := enc.Encode(a); err != nil {
			panic(err)
		}
		if err := out.Flush(); err != nil {
			panic(err)
		}
	}
}

// groups is the text of every group of the first match (nil for a group that took no part),
// or nil when there is no match.
func groups(re *regexp.Regexp, s string) []*string {
	idx := re.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil
	}
	out := make([]*string, len(idx)/2)
	for i := range out {
		if idx[2*i] >= 0 {
			v := s[idx[2*i]:idx[2*i+1]]
			out[i] = &v
		}
	}
	return out
}
