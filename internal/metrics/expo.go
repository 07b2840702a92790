package metrics

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// The Prometheus text exposition format (version 0.0.4), written by hand:
// client_golang with its protobuf and net/http dependencies doubled the
// binary, and on Linux the mapped binary is most of supervise's resident
// memory (docs/procs.md, "Memory").

const contentType = "text/plain; version=0.0.4; charset=utf-8"

type kind string

const (
	gauge   kind = "gauge"
	counter kind = "counter"
)

// family is one metric name: its HELP and TYPE lines, and the names of its
// labels in the order samples give their values.
type family struct {
	name   string
	help   string
	kind   kind
	labels []string
}

// exposition collects the samples of one scrape. The format wants all
// samples of a family together, so samples are buffered per family and
// written in the order families were first used.
type exposition struct {
	order []*family
	body  map[*family]*bytes.Buffer
}

func newExposition() *exposition {
	return &exposition{body: map[*family]*bytes.Buffer{}}
}

// add appends one sample; values are the label values, in f.labels order.
func (e *exposition) add(f *family, v float64, values ...string) {
	b, ok := e.body[f]
	if !ok {
		b = &bytes.Buffer{}
		e.body[f] = b
		e.order = append(e.order, f)
	}
	b.WriteString(f.name)
	if len(f.labels) > 0 {
		b.WriteByte('{')
		for i, l := range f.labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l)
			b.WriteString(`="`)
			labelEscaper.WriteString(b, values[i])
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatValue(v))
	b.WriteByte('\n')
}

// bytes renders every family that has samples.
func (e *exposition) bytes() []byte {
	var out bytes.Buffer
	for _, f := range e.order {
		out.WriteString("# HELP ")
		out.WriteString(f.name)
		out.WriteByte(' ')
		helpEscaper.WriteString(&out, f.help)
		out.WriteString("\n# TYPE ")
		out.WriteString(f.name)
		out.WriteByte(' ')
		out.WriteString(string(f.kind))
		out.WriteByte('\n')
		out.Write(e.body[f].Bytes())
	}
	return out.Bytes()
}

// The format's escapes: in HELP text backslash and newline; in label
// values also the double quote.
var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
