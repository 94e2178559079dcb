package cim

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Wildcard marks a datetime field written as asterisks ("*"). It is not -1,
// which is a valid UTC offset (one minute west of Greenwich).
const Wildcard = math.MinInt32

// DatetimeLength is the length of every CIM datetime and interval in DMTF form.
const DatetimeLength = 25

// MaxIntervalDays is the largest number of days an interval can hold (8 digits).
const MaxIntervalDays = 99999999

// Datetime is a CIM datetime: a timestamp (yyyymmddHHMMSS.mmmmmmsUUU, UTC offset
// in minutes) or an interval (ddddddddHHMMSS.mmmmmm:000). In a timestamp any
// whole field may be Wildcard, written as asterisks.
//
// The fields of a valid timestamp are: Year 0–9999, Month 1–12, Day 1 to the
// length of the month (29 for February when the year is a wildcard), Hour 0–23,
// Minute 0–59, Second 0–59 (a leap second 60 is rejected: time.Time cannot hold
// it, so it would not survive Time), Microsecond 0–999999 and Offset −999–999.
// An interval has Days 0–99999999 and the same time fields, without wildcards.
type Datetime struct {
	Interval bool

	Year, Month, Day int // timestamp date fields
	Days             int // interval: number of days

	Hour, Minute, Second int
	Microsecond          int
	Offset               int // timestamp: UTC offset in minutes (may be Wildcard)
}

// datetime field layout: name, start (0-based), width.
type dtField struct {
	name         string
	start, width int
	min, max     int
}

var (
	timestampFields = [...]dtField{
		{"year", 0, 4, 0, 9999},
		{"month", 4, 2, 1, 12},
		{"day", 6, 2, 1, 31},
		{"hour", 8, 2, 0, 23},
		{"minute", 10, 2, 0, 59},
		{"second", 12, 2, 0, 59},
		{"microseconds", 15, 6, 0, 999999},
		{"UTC offset", 22, 3, 0, 999},
	}
	intervalFields = [...]dtField{
		{"days", 0, 8, 0, MaxIntervalDays},
		{"hours", 8, 2, 0, 23},
		{"minutes", 10, 2, 0, 59},
		{"seconds", 12, 2, 0, 59},
		{"microseconds", 15, 6, 0, 999999},
	}
)

// dtError reports a bad datetime naming the 1-based position of the culprit.
func dtError(s string, pos int, format string, args ...any) *Error {
	return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: s,
		Description: fmt.Sprintf("datetime %q: ", s) + fmt.Sprintf(format, args...) + fmt.Sprintf(" at position %d", pos+1)}
}

// badChar describes the character at byte i of s.
func badChar(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02X", s[i])
	}
	return fmt.Sprintf("character %q", r)
}

// ParseDatetime parses a DMTF datetime or interval. A malformed one gives
// WBEM_E_INVALID_PARAMETER naming the position of the first bad character.
//
// A timestamp field may be written entirely as asterisks (it is then Wildcard);
// a field only partly of asterisks ("199*") is an error, as are asterisks in an
// interval. The offset "-000" is accepted and means "+000", and "-***" means
// "+***": String prints those with "+", every other valid input round-trips
// exactly.
func ParseDatetime(s string) (Datetime, error) {
	if len(s) != DatetimeLength {
		// Name the first byte that is not ASCII so a multi-byte string is not
		// reported as merely too long.
		for i := 0; i < len(s) && i < DatetimeLength; i++ {
			if s[i] >= 0x80 {
				return Datetime{}, dtError(s, i, "unexpected %s", badChar(s, i))
			}
		}
		return Datetime{}, &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: s,
			Description: fmt.Sprintf("datetime %q has %d characters, want %d (yyyymmddHHMMSS.mmmmmmsUUU or ddddddddHHMMSS.mmmmmm:000)", s, utf8.RuneCountInString(s), DatetimeLength)}
	}
	var d Datetime
	if s[14] != '.' {
		return Datetime{}, dtError(s, 14, "expected '.' but found %s", badChar(s, 14))
	}
	fields := timestampFields[:]
	switch s[21] {
	case ':':
		d.Interval = true
		fields = intervalFields[:]
		if s[22:] != "000" {
			for i := 22; i < 25; i++ {
				if s[i] != '0' {
					return Datetime{}, dtError(s, i, "an interval must end in \":000\", found %s", badChar(s, i))
				}
			}
		}
	case '+', '-':
	default:
		return Datetime{}, dtError(s, 21, "expected '+', '-' or ':' but found %s", badChar(s, 21))
	}
	vals := make([]int, 0, 8)
	for _, f := range fields {
		v, err := dtParseField(s, f, !d.Interval)
		if err != nil {
			return Datetime{}, err
		}
		vals = append(vals, v)
	}
	if d.Interval {
		d.Days, d.Hour, d.Minute, d.Second, d.Microsecond = vals[0], vals[1], vals[2], vals[3], vals[4]
		return d, nil
	}
	d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, d.Microsecond, d.Offset =
		vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7]
	if d.Offset != Wildcard && s[21] == '-' {
		d.Offset = -d.Offset
	}
	if d.Day != Wildcard && d.Month != Wildcard {
		if n := daysIn(d.Month, d.Year); d.Day > n {
			return Datetime{}, dtError(s, 6, "day %02d is out of range for month %02d (01-%02d)", d.Day, d.Month, n)
		}
	}
	return d, nil
}

// dtParseField reads one field: all digits, or (when wild) all asterisks.
func dtParseField(s string, f dtField, wild bool) (int, error) {
	txt := s[f.start : f.start+f.width]
	if txt[0] == '*' && wild {
		for i := 1; i < len(txt); i++ {
			if txt[i] != '*' {
				return 0, dtError(s, f.start+i, "the %s field must be all digits or all asterisks, found %s", f.name, badChar(s, f.start+i))
			}
		}
		return Wildcard, nil
	}
	n := 0
	for i := 0; i < len(txt); i++ {
		c := txt[i]
		if c < '0' || c > '9' {
			if wild && c == '*' {
				return 0, dtError(s, f.start+i, "the %s field must be all digits or all asterisks, found %s", f.name, badChar(s, f.start+i))
			}
			return 0, dtError(s, f.start+i, "expected a digit in the %s field but found %s", f.name, badChar(s, f.start+i))
		}
		n = n*10 + int(c-'0')
	}
	if n < f.min || n > f.max {
		return 0, dtError(s, f.start, "%s %s is out of range (%0*d-%0*d)", f.name, txt, f.width, f.min, f.width, f.max)
	}
	return n, nil
}

// daysIn returns the length of month m in year y; a wildcard year allows
// 29 February.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y == Wildcard || y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Validate reports whether every field of d is in range (see Datetime), as
// ParseDatetime would check it, with WBEM_E_INVALID_PARAMETER naming the field.
func (d Datetime) Validate() error {
	bad := func(name string, v int) error {
		return Errorf(WBEM_E_INVALID_PARAMETER, "datetime field %s = %d is out of range", name, v)
	}
	in := func(v, lo, hi int, wild bool) bool { return wild && v == Wildcard || v >= lo && v <= hi }
	if d.Interval {
		switch {
		case !in(d.Days, 0, MaxIntervalDays, false):
			return bad("Days", d.Days)
		case !in(d.Hour, 0, 23, false):
			return bad("Hour", d.Hour)
		case !in(d.Minute, 0, 59, false):
			return bad("Minute", d.Minute)
		case !in(d.Second, 0, 59, false):
			return bad("Second", d.Second)
		case !in(d.Microsecond, 0, 999999, false):
			return bad("Microsecond", d.Microsecond)
		}
		return nil
	}
	switch {
	case !in(d.Year, 0, 9999, true):
		return bad("Year", d.Year)
	case !in(d.Month, 1, 12, true):
		return bad("Month", d.Month)
	case !in(d.Day, 1, 31, true):
		return bad("Day", d.Day)
	case d.Day != Wildcard && d.Month != Wildcard && d.Day > daysIn(d.Month, d.Year):
		return bad("Day", d.Day)
	case !in(d.Hour, 0, 23, true):
		return bad("Hour", d.Hour)
	case !in(d.Minute, 0, 59, true):
		return bad("Minute", d.Minute)
	case !in(d.Second, 0, 59, true):
		return bad("Second", d.Second)
	case !in(d.Microsecond, 0, 999999, true):
		return bad("Microsecond", d.Microsecond)
	case !in(d.Offset, -999, 999, true):
		return bad("Offset", d.Offset)
	}
	return nil
}

// HasWildcard reports whether any field of a timestamp is a wildcard.
func (d Datetime) HasWildcard() bool {
	if d.Interval {
		return false
	}
	for _, v := range [...]int{d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, d.Microsecond, d.Offset} {
		if v == Wildcard {
			return true
		}
	}
	return false
}

// String formats d in DMTF form (25 characters). Fields of a hand-made d that
// are out of range print modulo their width; use Validate to check them.
func (d Datetime) String() string {
	var b [DatetimeLength]byte
	put := func(at, width, v int) {
		if v == Wildcard && !d.Interval {
			for i := range width {
				b[at+i] = '*'
			}
			return
		}
		if v < 0 {
			v = -v
		}
		for i := width - 1; i >= 0; i-- {
			b[at+i] = byte('0' + v%10)
			v /= 10
		}
	}
	if d.Interval {
		put(0, 8, d.Days)
	} else {
		put(0, 4, d.Year)
		put(4, 2, d.Month)
		put(6, 2, d.Day)
	}
	put(8, 2, d.Hour)
	put(10, 2, d.Minute)
	put(12, 2, d.Second)
	b[14] = '.'
	put(15, 6, d.Microsecond)
	switch {
	case d.Interval:
		b[21] = ':'
		put(22, 3, 0)
	case d.Offset < 0 && d.Offset != Wildcard:
		b[21] = '-'
		put(22, 3, -d.Offset)
	default:
		b[21] = '+'
		put(22, 3, d.Offset)
	}
	return string(b[:])
}

// Time returns a timestamp as a time.Time in a fixed zone of its offset. It fails
// for intervals and timestamps with wildcards.
func (d Datetime) Time() (time.Time, error) {
	if d.Interval {
		return time.Time{}, Errorf(WBEM_E_INVALID_PARAMETER, "datetime %s is an interval, not a point in time", d)
	}
	if d.HasWildcard() {
		return time.Time{}, Errorf(WBEM_E_INVALID_PARAMETER, "datetime %s has wildcard fields and is not a point in time", d)
	}
	if err := d.Validate(); err != nil {
		return time.Time{}, err
	}
	zone := time.UTC
	if d.Offset != 0 {
		zone = time.FixedZone(offsetName(d.Offset), d.Offset*60)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, zone), nil
}

// offsetName names a fixed zone like "+0130" so that formatted times read well.
func offsetName(minutes int) string {
	sign := byte('+')
	if minutes < 0 {
		sign, minutes = '-', -minutes
	}
	return fmt.Sprintf("%c%02d%02d", sign, minutes/60, minutes%60)
}

// Duration returns an interval as a time.Duration. It fails for timestamps and
// for intervals longer than time.Duration holds (about 106751 days).
func (d Datetime) Duration() (time.Duration, error) {
	if !d.Interval {
		return 0, Errorf(WBEM_E_INVALID_PARAMETER, "datetime %s is a timestamp, not an interval", d)
	}
	if err := d.Validate(); err != nil {
		return 0, err
	}
	const maxDays = int64(1<<63-1) / int64(24*time.Hour)
	if int64(d.Days) > maxDays {
		return 0, Errorf(WBEM_E_INVALID_PARAMETER, "interval %s is longer than %d days, the most a time.Duration holds", d, maxDays)
	}
	dur := time.Duration(d.Days)*24*time.Hour + time.Duration(d.Hour)*time.Hour +
		time.Duration(d.Minute)*time.Minute + time.Duration(d.Second)*time.Second +
		time.Duration(d.Microsecond)*time.Microsecond
	if dur < 0 { // overflow in the last day
		return 0, Errorf(WBEM_E_INVALID_PARAMETER, "interval %s is longer than a time.Duration holds", d)
	}
	return dur, nil
}

// Representable timestamps: years 0000 to 9999.
var (
	minDatetimeTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDatetimeTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// DatetimeFromTime returns the timestamp for t, keeping t's UTC offset and
// truncating to microseconds. An offset that is not a whole number of minutes
// (some historic zones) is truncated to minutes, and one beyond ±999 minutes
// becomes +000; times outside the years 0000–9999 (in that offset) are clamped
// to the nearest representable timestamp.
func DatetimeFromTime(t time.Time) Datetime {
	_, off := t.Zone()
	offMin := off / 60
	if offMin < -999 || offMin > 999 {
		offMin = 0
	}
	if offMin*60 != off {
		t = t.In(time.FixedZone("", offMin*60))
	}
	zone := time.FixedZone("", offMin*60)
	lo, hi := minDatetimeTime.Add(-time.Duration(offMin)*time.Minute), maxDatetimeTime.Add(-time.Duration(offMin)*time.Minute)
	switch {
	case t.Before(lo):
		t = lo.In(zone)
	case t.After(hi):
		t = hi.In(zone)
	}
	return Datetime{
		Year: t.Year(), Month: int(t.Month()), Day: t.Day(),
		Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(),
		Microsecond: t.Nanosecond() / 1000,
		Offset:      offMin,
	}
}

// IntervalFromDuration returns the interval for d (negative durations count as 0),
// truncated to microseconds.
func IntervalFromDuration(d time.Duration) Datetime {
	if d < 0 {
		d = 0
	}
	us := int64(d / time.Microsecond)
	const usPerDay = int64(24 * time.Hour / time.Microsecond)
	days := us / usPerDay
	us %= usPerDay
	return Datetime{
		Interval:    true,
		Days:        int(days),
		Hour:        int(us / int64(time.Hour/time.Microsecond)),
		Minute:      int(us / int64(time.Minute/time.Microsecond) % 60),
		Second:      int(us / 1e6 % 60),
		Microsecond: int(us % 1e6),
	}
}

// Compare orders two datetimes: timestamps by their instant, intervals by length.
// ok is false when they cannot be ordered (a timestamp against an interval, or
// wildcards).
func (d Datetime) Compare(e Datetime) (c int, ok bool) {
	if d.Interval != e.Interval {
		return 0, false
	}
	if d.Interval {
		x := [...]int{d.Days, d.Hour, d.Minute, d.Second, d.Microsecond}
		y := [...]int{e.Days, e.Hour, e.Minute, e.Second, e.Microsecond}
		for i := range x {
			if x[i] != y[i] {
				if x[i] < y[i] {
					return -1, true
				}
				return 1, true
			}
		}
		return 0, true
	}
	t, err1 := d.Time()
	u, err2 := e.Time()
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return t.Compare(u), true
}
