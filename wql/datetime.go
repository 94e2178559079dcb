package wql

import (
	"strings"
	"time"
)

// A datetime reduced to one comparable number: a timestamp as microseconds
// since 0001-01-01 UTC, an interval as its length in microseconds.
type instant struct {
	interval bool
	us       int64
}

func (a instant) compare(b instant) int {
	switch {
	case a.us < b.us:
		return -1
	case a.us > b.us:
		return 1
	}
	return 0
}

// parseDMTF reads a DMTF datetime (yyyymmddHHMMSS.mmmmmmsUUU) or interval
// (ddddddddHHMMSS.mmmmmm:000) without allocating. ok is false for anything
// else, wildcard fields included (those compare as text).
func parseDMTF(s string) (instant, bool) {
	if len(s) != 25 || s[14] != '.' {
		return instant{}, false
	}
	num := func(i, n int) (int64, bool) {
		var v int64
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	hh, ok1 := num(8, 2)
	mi, ok2 := num(10, 2)
	ss, ok3 := num(12, 2)
	us, ok4 := num(15, 6)
	if !(ok1 && ok2 && ok3 && ok4) || hh > 23 || mi > 59 || ss > 60 {
		return instant{}, false
	}
	tod := ((hh*60+mi)*60+ss)*1e6 + us
	switch s[21] {
	case ':':
		days, ok := num(0, 8)
		if !ok || s[22:] != "000" {
			return instant{}, false
		}
		return instant{interval: true, us: days*86400e6 + tod}, true
	case '+', '-':
		y, ok1 := num(0, 4)
		mo, ok2 := num(4, 2)
		d, ok3 := num(6, 2)
		off, ok4 := num(22, 3)
		if !(ok1 && ok2 && ok3 && ok4) || mo < 1 || mo > 12 || d < 1 || d > 31 {
			return instant{}, false
		}
		if s[21] == '-' {
			off = -off
		}
		return instant{us: daysFromCivil(y, mo, d)*86400e6 + tod - off*60e6}, true
	}
	return instant{}, false
}

// daysFromCivil counts days from 0001-01-01 to y-m-d in the proleptic
// Gregorian calendar (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 + 719162 // days since 1970, shifted to year 1
}

// datetimeLayouts are the portable forms besides DMTF that a WQL constant may
// take; they have no zone unless written, and then count as UTC.
var datetimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseDatetimeConst reads a datetime constant of a query: DMTF form, or one
// of the ISO 8601 forms above.
func parseDatetimeConst(s string) (instant, bool) {
	s = strings.TrimSpace(s)
	if in, ok := parseDMTF(s); ok {
		return in, true
	}
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			y, mo, d := t.Date()
			tod := int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e6 + int64(t.Nanosecond()/1000)
			return instant{us: daysFromCivil(int64(y), int64(mo), int64(d))*86400e6 + tod}, true
		}
	}
	return instant{}, false
}
