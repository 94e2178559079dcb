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
	"github.com/gowbem/gowbem/mof"
)

// Output formats (-o).
const (
	FormatTable = "table" // aligned columns, widths from the first rows
	FormatList  = "list"  // "Name : value" lines, a blank line between objects
	FormatJSON  = "json"  // one JSON array, printed element by element
	FormatJSONL = "jsonl" // one JSON object per line
	FormatCSV   = "csv"   // RFC 4180, a header from the first object (or the class when none came)
	FormatMOF   = "mof"   // instances and classes as MOF text
)

var formats = []string{FormatTable, FormatList, FormatJSON, FormatJSONL, FormatCSV, FormatMOF}

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
// properties left out unless asked for (only), and the object itself for
// its path and for MOF.
type record struct {
	names  []string
	values []cim.Value
	obj    cim.Object
}

// recordOf lays out an instance by its class, or a class as its name and
// superclass.
func recordOf(obj cim.Object) record {
	switch o := obj.(type) {
	case *cim.Instance:
		c := o.Class()
		r := record{names: make([]string, len(c.Properties)), values: make([]cim.Value, len(c.Properties)), obj: obj}
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
		return record{names: []string{"Name", "Superclass"}, values: []cim.Value{cim.String(o.Name), super}, obj: obj}
	}
	return record{}
}

// systemer is an object with system properties (__PATH, __CLASS, …).
type systemer interface {
	System(name string) (cim.Value, bool)
}

// only returns r with just the properties named in cols, in that order (a
// query's SELECT list: a remote object manager may return whole instances
// with the other properties NULL, a local one adds the keys). A system
// property (__PATH, __CLASS, …) comes from the object. Names r lacks are
// skipped, as WMI skips them; no cols leaves r as it is.
func (r record) only(cols []string) record {
	if len(cols) == 0 {
		return r
	}
	out := record{names: make([]string, 0, len(cols)), values: make([]cim.Value, 0, len(cols)), obj: r.obj}
	for _, c := range cols {
		found := false
		for i, n := range r.names {
			if strings.EqualFold(n, c) {
				out.names = append(out.names, n)
				out.values = append(out.values, r.values[i])
				found = true
				break
			}
		}
		if !found && cim.IsSystemProperty(c) {
			if s, ok := r.obj.(systemer); ok {
				if v, ok := s.System(c); ok {
					out.names = append(out.names, strings.ToUpper(c))
					out.values = append(out.values, v)
				}
			}
		}
	}
	return out
}

// path returns the object's __PATH, or NULL when it has none (a projection
// without its keys, a class).
func (r record) path() cim.Value {
	if inst, ok := r.obj.(*cim.Instance); ok {
		if v, ok := inst.System("__PATH"); ok {
			return v
		}
	}
	return cim.Null
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
	case FormatMOF:
		return &mofWriter{w: w}, nil
	}
	return nil, usageErrorf("unknown output format %q (want one of %s)", format, strings.Join(formats, ", "))
}

// --- how values read ---
//
// A value prints per format: table and list are for people (NULL is empty,
// the empty string is "", datetimes read as 2026-11-26 12:00:00 +00:00 and
// intervals as 1d 02:03:04); csv and json are for programs (datetimes in
// RFC 3339, intervals as ISO 8601 durations, P1DT2H3M4S); mof keeps DMTF's
// forms. A datetime with wildcards keeps its DMTF form everywhere.

// humanText is a value as table and list show it, on one line.
func humanText(v cim.Value) string {
	switch {
	case v.IsNull():
		return ""
	case v.Type() == cim.TypeString && v.Str() == "":
		return `""`
	}
	return oneLine(valueText(v, humanDatetime))
}

// machineText is a value as csv writes it (NULL and "" are both empty).
func machineText(v cim.Value) string {
	if v.IsNull() {
		return ""
	}
	return valueText(v, machineDatetime)
}

// valueText writes a value's text with datetimes formatted by dt; arrays as
// {a, b}.
func valueText(v cim.Value, dt func(cim.Datetime) string) string {
	t := v.Type()
	switch {
	case v.IsNull():
		return ""
	case t.IsArray():
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range v.Array() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(valueText(e, dt))
		}
		b.WriteByte('}')
		return b.String()
	case t == cim.TypeDatetime:
		d, err := cim.ParseDatetime(v.Str())
		if err != nil || d.HasWildcard() {
			return v.Str()
		}
		return dt(d)
	}
	return v.Text()
}

// humanDatetime: 2026-11-26 12:00:00 +00:00, 1d 02:03:04 (microseconds when
// there are any).
func humanDatetime(d cim.Datetime) string {
	frac := ""
	if d.Microsecond != 0 {
		frac = fmt.Sprintf(".%06d", d.Microsecond)
	}
	if d.Interval {
		s := fmt.Sprintf("%02d:%02d:%02d%s", d.Hour, d.Minute, d.Second, frac)
		if d.Days > 0 {
			s = fmt.Sprintf("%dd %s", d.Days, s)
		}
		return s
	}
	sign, off := '+', d.Offset
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d%s %c%02d:%02d", d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, frac, sign, off/60, off%60)
}

// machineDatetime: RFC 3339 (2026-11-26T12:00:00Z), ISO 8601 durations
// (P1DT2H3M4S).
func machineDatetime(d cim.Datetime) string {
	frac := ""
	if d.Microsecond != 0 {
		frac = fmt.Sprintf(".%06d", d.Microsecond)
	}
	if d.Interval {
		return fmt.Sprintf("P%dDT%dH%dM%d%sS", d.Days, d.Hour, d.Minute, d.Second, frac)
	}
	zone := "Z"
	if d.Offset != 0 {
		sign, off := '+', d.Offset
		if off < 0 {
			sign, off = '-', -off
		}
		zone = fmt.Sprintf("%c%02d:%02d", sign, off/60, off%60)
	}
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s%s", d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, frac, zone)
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
			t.width[i] = max(t.width[i], utf8.RuneCountInString(humanText(v)))
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
		cells[i] = humanText(v)
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

// oneLine escapes control characters so that a value cannot break the
// layout.
func oneLine(s string) string {
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
		if v := humanText(r.values[i]); v != "" {
			b.WriteString(" : ")
			b.WriteString(v)
		} else {
			b.WriteString(" :")
		}
		b.WriteByte('\n')
	}
	_, err := l.w.Write(b.Bytes())
	return err
}

func (l *listWriter) Tick() error  { return nil }
func (l *listWriter) Close() error { return nil }

// --- json and jsonl ---

type jsonWriter struct {
	w      io.Writer
	array  bool // json: one array; jsonl: one object per line
	single bool // json of a command that prints one object: that object
	count  int
}

func (j *jsonWriter) Row(r record) error {
	var b bytes.Buffer
	if j.single {
		appendJSONRow(&b, r)
		b.WriteByte('\n')
		_, err := j.w.Write(b.Bytes())
		return err
	}
	if j.array {
		if j.count == 0 {
			b.WriteString("[\n  ")
		} else {
			b.WriteString(",\n  ")
		}
	}
	j.count++
	appendJSONRow(&b, r)
	if !j.array {
		b.WriteByte('\n')
	}
	_, err := j.w.Write(b.Bytes())
	return err
}

// appendJSONRow writes a row: an instance that has a path carries its
// __PATH first (unless the row selected it already), so that a row can be
// fed to get, call or delete.
func appendJSONRow(b *bytes.Buffer, r record) {
	if p := r.path(); !p.IsNull() {
		if _, has := r.get("__PATH"); !has {
			r.names = append([]string{"__PATH"}, r.names...)
			r.values = append([]cim.Value{p}, r.values...)
		}
	}
	appendJSONRecord(b, r)
}

func (j *jsonWriter) Tick() error { return nil }

func (j *jsonWriter) Close() error {
	if !j.array || j.single {
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
	case t == cim.TypeDatetime:
		appendJSONString(b, valueText(v, machineDatetime))
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
	// header gives the columns when no object came (nil: none).
	header func() []string
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
		cells[i] = machineText(v)
	}
	if err := cw.Write(cells); err != nil {
		return err
	}
	cw.Flush()
	_, err := c.w.Write(b.Bytes())
	return err
}

func (c *csvWriter) Tick() error { return nil }

// Close prints the header of an empty result, so that a program reading
// the CSV sees the columns.
func (c *csvWriter) Close() error {
	if c.cols != nil || c.header == nil {
		return nil
	}
	cols := c.header()
	if len(cols) == 0 {
		return nil
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(cols)
	cw.Flush()
	_, err := c.w.Write(b.Bytes())
	return err
}

// --- mof ---

// mofWriter prints instances and classes as MOF, a blank line between.
type mofWriter struct {
	w     io.Writer
	count int
}

func (m *mofWriter) Row(r record) error {
	var s string
	switch o := r.obj.(type) {
	case *cim.Instance:
		s = mof.FormatInstance(o)
	case *cim.Class:
		s = mof.FormatClass(o)
	default:
		return nil
	}
	if len(r.names) == 1 && r.names[0] == "//" {
		s = r.values[0].Str() + s // wbem watch's line about the event
	}
	if m.count > 0 {
		s = "\n" + s
	}
	m.count++
	_, err := io.WriteString(m.w, s)
	return err
}

func (m *mofWriter) Tick() error  { return nil }
func (m *mofWriter) Close() error { return nil }

// usageError is a mistake on the command line (exit code ExitUsage).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
