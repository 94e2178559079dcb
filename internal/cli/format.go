package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// Output formats (-o).
const (
	FormatTable = "table" // aligned columns, widths from the first rows
	FormatList  = "list"  // "Name : value" lines, a blank line between objects
	FormatJSON  = "json"  // one JSON array, printed element by element
	FormatJSONL = "jsonl" // one JSON object per line
	FormatCSV   = "csv"   // RFC 4180, a header from the first object
)

var formats = []string{FormatTable, FormatList, FormatJSON, FormatJSONL, FormatCSV}

// Table sizing. A table cannot print its first row before it knows its column
// widths, so it holds rows back until TableRows have come or TableWait has
// passed since the first one (or the enumeration ends), sizes the columns on
// them, and from then on prints each row as it arrives with those widths: a
// later, wider value widens its own line only, and a property that none of the
// held-back rows had is not shown (jsonl, csv and list show everything).
const (
	TableRows = 100
	TableWait = time.Second
)

// record is one object as output: its properties in class order, system
// properties left out.
type record struct {
	names  []string
	values []cim.Value
}

// recordOf lays out an instance by its class, or a class as its name and
// superclass.
func recordOf(obj cim.Object) record {
	switch o := obj.(type) {
	case *cim.Instance:
		c := o.Class()
		r := record{names: make([]string, len(c.Properties)), values: make([]cim.Value, len(c.Properties))}
		for i := range c.Properties {
			r.names[i] = c.Properties[i].Name
			r.values[i] = o.At(i)
		}
		return r
	case *cim.Class:
		super := cim.Null
		if o.Superclass != "" {
			super = cim.String(o.Superclass)
		}
		return record{names: []string{"Name", "Superclass"}, values: []cim.Value{cim.String(o.Name), super}}
	}
	return record{}
}

// only returns r with just the properties named in cols, in that order (a
// query's SELECT list: a remote object manager may return whole instances
// with the other properties NULL, a local one adds the keys). Names r lacks
// are skipped, as WMI skips them; no cols leaves r as it is.
func (r record) only(cols []string) record {
	if len(cols) == 0 {
		return r
	}
	out := record{names: make([]string, 0, len(cols)), values: make([]cim.Value, 0, len(cols))}
	for _, c := range cols {
		for i, n := range r.names {
			if strings.EqualFold(n, c) {
				out.names = append(out.names, n)
				out.values = append(out.values, r.values[i])
				break
			}
		}
	}
	return out
}

func (r record) get(name string) (cim.Value, bool) {
	for i, n := range r.names {
		if strings.EqualFold(n, name) {
			return r.values[i], true
		}
	}
	return cim.Null, false
}

// rowWriter prints objects as they arrive. Each Row reaches the underlying
// writer in one Write once the format allows it (table holds its first rows
// back to size its columns); Tick lets a table print what it holds when the
// stream stalls; Close prints whatever is held and the closing text.
type rowWriter interface {
	Row(r record) error
	Tick() error
	Close() error
}

func newRowWriter(format string, w io.Writer) (rowWriter, error) {
	switch format {
	case FormatTable:
		return &tableWriter{w: w, now: time.Now}, nil
	case FormatList:
		return &listWriter{w: w}, nil
	case FormatJSON:
		return &jsonWriter{w: w, array: true}, nil
	case FormatJSONL:
		return &jsonWriter{w: w}, nil
	case FormatCSV:
		return &csvWriter{w: w}, nil
	}
	return nil, usageErrorf("unknown output format %q (want one of %s)", format, strings.Join(formats, ", "))
}

// --- table ---

type tableWriter struct {
	w     io.Writer
	now   func() time.Time
	held  []record
	first time.Time
	cols  []string // nil until sized
	width []int
}

func (t *tableWriter) Row(r record) error {
	if t.cols != nil {
		return t.line(r)
	}
	if len(t.held) == 0 {
		t.first = t.now()
	}
	t.held = append(t.held, r)
	if len(t.held) >= TableRows {
		return t.size()
	}
	return t.Tick()
}

func (t *tableWriter) Tick() error {
	if t.cols == nil && len(t.held) > 0 && t.now().Sub(t.first) >= TableWait {
		return t.size()
	}
	return nil
}

// size fixes the columns and their widths on the held rows and prints them.
func (t *tableWriter) size() error {
	t.cols = []string{}
	seen := map[string]bool{}
	for _, r := range t.held {
		for _, n := range r.names {
			if k := strings.ToLower(n); !seen[k] {
				seen[k] = true
				t.cols = append(t.cols, n)
			}
		}
	}
	t.width = make([]int, len(t.cols))
	for i, c := range t.cols {
		t.width[i] = utf8.RuneCountInString(c)
		for _, r := range t.held {
			v, _ := r.get(c)
			t.width[i] = max(t.width[i], utf8.RuneCountInString(cellText(v)))
		}
	}
	var b bytes.Buffer
	t.cells(&b, t.cols)
	dashes := make([]string, len(t.cols))
	for i := range t.cols {
		dashes[i] = strings.Repeat("-", t.width[i])
	}
	t.cells(&b, dashes)
	if _, err := t.w.Write(b.Bytes()); err != nil {
		return err
	}
	held := t.held
	t.held = nil
	for _, r := range held {
		if err := t.line(r); err != nil {
			return err
		}
	}
	return nil
}

func (t *tableWriter) line(r record) error {
	cells := make([]string, len(t.cols))
	for i, c := range t.cols {
		v, _ := r.get(c)
		cells[i] = cellText(v)
	}
	var b bytes.Buffer
	t.cells(&b, cells)
	_, err := t.w.Write(b.Bytes())
	return err
}

func (t *tableWriter) cells(b *bytes.Buffer, cells []string) {
	for i, s := range cells {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(s)
		if pad := t.width[i] - utf8.RuneCountInString(s); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	// No trailing blanks when the last cells are empty.
	trimmed := bytes.TrimRight(b.Bytes(), " ")
	b.Truncate(len(trimmed))
	b.WriteByte('\n')
}

func (t *tableWriter) Close() error {
	if t.cols == nil && len(t.held) > 0 {
		return t.size()
	}
	return nil
}

// cellText is a value on one line: control characters are escaped so that a
// value cannot break the layout.
func cellText(v cim.Value) string {
	s := v.Text()
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		q := strconv.Quote(s)
		return q[1 : len(q)-1]
	}
	return s
}

// --- list ---

type listWriter struct {
	w     io.Writer
	count int
}

func (l *listWriter) Row(r record) error {
	var b bytes.Buffer
	if l.count > 0 {
		b.WriteByte('\n')
	}
	l.count++
	w := 0
	for _, n := range r.names {
		w = max(w, utf8.RuneCountInString(n))
	}
	for i, n := range r.names {
		b.WriteString(n)
		b.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(n)))
		b.WriteString(" : ")
		b.WriteString(cellText(r.values[i]))
		b.WriteByte('\n')
	}
	_, err := l.w.Write(b.Bytes())
	return err
}

func (l *listWriter) Tick() error  { return nil }
func (l *listWriter) Close() error { return nil }

// --- json and jsonl ---

type jsonWriter struct {
	w     io.Writer
	array bool // json: one array; jsonl: one object per line
	count int
}

func (j *jsonWriter) Row(r record) error {
	var b bytes.Buffer
	if j.array {
		if j.count == 0 {
			b.WriteString("[\n  ")
		} else {
			b.WriteString(",\n  ")
		}
	}
	j.count++
	appendJSONRecord(&b, r)
	if !j.array {
		b.WriteByte('\n')
	}
	_, err := j.w.Write(b.Bytes())
	return err
}

func (j *jsonWriter) Tick() error { return nil }

func (j *jsonWriter) Close() error {
	if !j.array {
		return nil
	}
	end := "\n]\n"
	if j.count == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// appendJSONRecord writes r as a JSON object with its properties in class
// order (encoding/json would sort a map's keys).
func appendJSONRecord(b *bytes.Buffer, r record) {
	b.WriteByte('{')
	for i, n := range r.names {
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSONString(b, n)
		b.WriteByte(':')
		appendJSONValue(b, r.values[i])
	}
	b.WriteByte('}')
}

func appendJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

// appendJSONValue maps CIM values to JSON: integers and reals as numbers
// (NaN and infinities, which JSON lacks, as strings), booleans, NULL as null,
// arrays as arrays, embedded objects as objects, everything else (strings,
// char16, datetimes, references) as strings.
func appendJSONValue(b *bytes.Buffer, v cim.Value) {
	t := v.Type()
	switch {
	case v.IsNull():
		b.WriteString("null")
	case t.IsArray():
		b.WriteByte('[')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSONValue(b, e)
		}
		b.WriteByte(']')
	case t.IsInteger(), t == cim.TypeBoolean:
		b.WriteString(v.Text())
	case t.IsReal():
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			appendJSONString(b, v.Text())
		} else {
			b.WriteString(v.Text())
		}
	case t == cim.TypeObject:
		if o := v.Object(); o != nil {
			appendJSONRecord(b, recordOf(o))
		} else {
			b.WriteString("null")
		}
	default:
		appendJSONString(b, v.Text())
	}
}

// --- csv ---

type csvWriter struct {
	w    io.Writer
	cols []string // from the first object
}

func (c *csvWriter) Row(r record) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if c.cols == nil {
		c.cols = r.names
		if c.cols == nil {
			c.cols = []string{}
		}
		if err := cw.Write(c.cols); err != nil {
			return err
		}
	}
	cells := make([]string, len(c.cols))
	for i, n := range c.cols {
		v, _ := r.get(n)
		cells[i] = v.Text()
	}
	if err := cw.Write(cells); err != nil {
		return err
	}
	cw.Flush()
	_, err := c.w.Write(b.Bytes())
	return err
}

func (c *csvWriter) Tick() error  { return nil }
func (c *csvWriter) Close() error { return nil }

// usageError is a mistake on the command line (exit code ExitUsage).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
