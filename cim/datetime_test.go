package cim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // named zones in tests, whatever the machine has installed
)

func TestParseDatetimeValid(t *testing.T) {
	W := Wildcard
	tests := []struct {
		in   string
		want Datetime
		out  string // "" when String gives in back
	}{
		{"19980401135809.000000+000", Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13, Minute: 58, Second: 9}, ""},
		{"20240229235959.999999-480", Datetime{Year: 2024, Month: 2, Day: 29, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999, Offset: -480}, ""},
		{"20000229000000.000001+060", Datetime{Year: 2000, Month: 2, Day: 29, Microsecond: 1, Offset: 60}, ""},
		{"00000101000000.000000+999", Datetime{Month: 1, Day: 1, Offset: 999}, ""},
		{"99991231235959.999999-999", Datetime{Year: 9999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999, Offset: -999}, ""},
		{"20250630120000.123456+330", Datetime{Year: 2025, Month: 6, Day: 30, Hour: 12, Microsecond: 123456, Offset: 330}, ""},
		// One minute west is an offset of -1, not a wildcard (found by the fuzzer).
		{"00000101000000.000000-001", Datetime{Month: 1, Day: 1, Offset: -1}, ""},
		{"20000101000000.000000+001", Datetime{Year: 2000, Month: 1, Day: 1, Offset: 1}, ""},
		// Wildcards: whole fields only.
		{"19980416******.000000+***", Datetime{Year: 1998, Month: 4, Day: 16, Hour: W, Minute: W, Second: W, Offset: W}, ""},
		{"**************.******+***", Datetime{Year: W, Month: W, Day: W, Hour: W, Minute: W, Second: W, Microsecond: W, Offset: W}, ""},
		{"****0229******.******+***", Datetime{Year: W, Month: 2, Day: 29, Hour: W, Minute: W, Second: W, Microsecond: W, Offset: W}, ""},
		{"1998**01120000.000000+000", Datetime{Year: 1998, Month: W, Day: 1, Hour: 12}, ""},
		{"199804**120000.000000-060", Datetime{Year: 1998, Month: 4, Day: W, Hour: 12, Offset: -60}, ""},
		{"19980401**0000.000000+000", Datetime{Year: 1998, Month: 4, Day: 1, Hour: W}, ""},
		{"199804011200**.000000+000", Datetime{Year: 1998, Month: 4, Day: 1, Hour: 12, Second: W}, ""},
		{"19980401120000.******+000", Datetime{Year: 1998, Month: 4, Day: 1, Hour: 12, Microsecond: W}, ""},
		// Non-canonical spellings that normalize.
		{"19980401120000.000000-000", Datetime{Year: 1998, Month: 4, Day: 1, Hour: 12}, "19980401120000.000000+000"},
		{"19980401120000.000000-***", Datetime{Year: 1998, Month: 4, Day: 1, Hour: 12, Offset: W}, "19980401120000.000000+***"},
		// Intervals.
		{"00000001120032.000000:000", Datetime{Interval: true, Days: 1, Hour: 12, Second: 32}, ""},
		{"00000000000000.000000:000", Datetime{Interval: true}, ""},
		{"99999999235959.999999:000", Datetime{Interval: true, Days: 99999999, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999}, ""},
		{"00012345010203.000004:000", Datetime{Interval: true, Days: 12345, Hour: 1, Minute: 2, Second: 3, Microsecond: 4}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDatetime(tt.in)
			if err != nil {
				t.Fatalf("ParseDatetime(%q): %v", tt.in, err)
			}
			if d != tt.want {
				t.Fatalf("ParseDatetime(%q) = %+v, want %+v", tt.in, d, tt.want)
			}
			want := tt.out
			if want == "" {
				want = tt.in
			}
			if got := d.String(); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if err := d.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			d2, err := ParseDatetime(d.String())
			if err != nil || d2 != d {
				t.Errorf("reparse of %q = %+v, %v", d.String(), d2, err)
			}
		})
	}
}

func TestParseDatetimeInvalid(t *testing.T) {
	tests := []struct {
		in   string
		pos  int    // 1-based position named in the description; 0: none
		frag string // part of the description
	}{
		{"", 0, "has 0 characters, want 25"},
		{"19980401135809.000000+00", 0, "has 24 characters"},
		{"19980401135809.000000+0000", 0, "has 26 characters"},
		{"1998040113580é.000000+000", 14, "character 'é'"},
		{"199*0416******.000000+***", 4, "year field must be all digits or all asterisks"},
		{"19980416******.00000*+***", 21, "microseconds field must be all digits or all asterisks"},
		{"19980416******.000000+**0", 25, "UTC offset field"},
		{"1998041612***0.000000+000", 14, "second field"},
		{"19980416*20000.000000+000", 10, "hour field"},
		{"19980001135809.000000+000", 5, "month 00 is out of range (01-12)"},
		{"19981301135809.000000+000", 5, "month 13 is out of range"},
		{"19980400135809.000000+000", 7, "day 00 is out of range"},
		{"19980132135809.000000+000", 7, "day 32 is out of range"},
		{"19980431135809.000000+000", 7, "day 31 is out of range for month 04"},
		{"19990229135809.000000+000", 7, "day 29 is out of range for month 02 (01-28)"},
		{"19000229135809.000000+000", 7, "day 29 is out of range for month 02"},
		{"****0230000000.000000+000", 7, "day 30 is out of range for month 02 (01-29)"},
		{"19980401245809.000000+000", 9, "hour 24 is out of range (00-23)"},
		{"19980401136009.000000+000", 11, "minute 60 is out of range"},
		{"19980401135860.000000+000", 13, "second 60 is out of range"},
		{"19980401135809,000000+000", 15, "expected '.' but found character ','"},
		{"19980401135809.000000 000", 22, "expected '+', '-' or ':' but found character ' '"},
		{"19980401135809.000000*000", 22, "expected '+', '-' or ':'"},
		{"1998O401135809.000000+000", 5, "expected a digit in the month field but found character 'O'"},
		{"19980401135809.00000x+000", 21, "found character 'x'"},
		{"19980401135809.000000+0a0", 24, "found character 'a'"},
		{" 9980401135809.000000+000", 1, "found character ' '"},
		{"-9980401135809.000000+000", 1, "found character '-'"},
		{"+9980401135809.000000+000", 1, "found character '+'"},
		// Intervals: no wildcards, ":000" only, time fields in range.
		{"00000001120032.000000:001", 25, "must end in \":000\""},
		{"00000001120032.000000:100", 23, "must end in \":000\""},
		{"********120032.000000:000", 1, "expected a digit in the days field but found character '*'"},
		{"00000001******.000000:000", 9, "hours field"},
		{"00000001240000.000000:000", 9, "hours 24 is out of range"},
		{"00000001006000.000000:000", 11, "minutes 60 is out of range"},
		{"00000001000060.000000:000", 13, "seconds 60 is out of range"},
		{"0000000112003x.000000:000", 14, "found character 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDatetime(tt.in)
			if err == nil {
				t.Fatalf("ParseDatetime(%q) = %+v, want an error", tt.in, d)
			}
			if !errors.Is(err, ErrInvalidParameter) {
				t.Fatalf("error %v is not WBEM_E_INVALID_PARAMETER", err)
			}
			e := AsError(err)
			if !strings.Contains(e.Description, tt.frag) {
				t.Errorf("description %q does not mention %q", e.Description, tt.frag)
			}
			if tt.pos > 0 && !strings.Contains(e.Description, fmt.Sprintf("at position %d", tt.pos)) {
				t.Errorf("description %q does not name position %d", e.Description, tt.pos)
			}
		})
	}
}

func TestDatetimeTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"19980401135809.000000+000", time.Date(1998, 4, 1, 13, 58, 9, 0, time.UTC)},
		{"19980401135809.123456+060", time.Date(1998, 4, 1, 12, 58, 9, 123456000, time.UTC)},
		{"19980401000000.000000-300", time.Date(1998, 4, 1, 5, 0, 0, 0, time.UTC)},
		{"20241231233000.000000-030", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"20000101001500.000000+330", time.Date(1999, 12, 31, 18, 45, 0, 0, time.UTC)},
		{"20000101000000.000000-001", time.Date(2000, 1, 1, 0, 1, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		d, err := ParseDatetime(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Time()
		if err != nil {
			t.Fatalf("%s.Time(): %v", tt.in, err)
		}
		if !got.Equal(tt.want) {
			t.Errorf("%s.Time() = %v, want %v", tt.in, got, tt.want)
		}
		if _, off := got.Zone(); off != d.Offset*60 {
			t.Errorf("%s.Time() is in a zone of offset %ds, want %ds", tt.in, off, d.Offset*60)
		}
		// The wall clock is the one written, not converted to local or UTC.
		if got.Hour() != d.Hour || got.Day() != d.Day || got.Year() != d.Year {
			t.Errorf("%s.Time() = %v does not keep the written wall clock", tt.in, got)
		}
		if back := DatetimeFromTime(got); back != d {
			t.Errorf("DatetimeFromTime(%v) = %s, want %s", got, back, d)
		}
	}

	for _, in := range []string{"19980416******.000000+***", "19980401135809.000000+***", "00000001120032.000000:000"} {
		d, err := ParseDatetime(in)
		if err != nil {
			t.Fatal(err)
		}
		if tm, err := d.Time(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%s.Time() = %v, %v; want WBEM_E_INVALID_PARAMETER", in, tm, err)
		}
	}
	if _, err := (Datetime{Year: 2020, Month: 2, Day: 30}).Time(); err == nil {
		t.Error("Time of 2020-02-30 succeeded; want a range error rather than a silent normalization")
	}
}

func TestDatetimeFromTime(t *testing.T) {
	nepal := time.FixedZone("NPT", 5*3600+45*60)
	newfoundland := time.FixedZone("NDT", -(2*3600 + 30*60))
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(1998, 4, 1, 13, 58, 9, 0, time.UTC), "19980401135809.000000+000"},
		{time.Date(2025, 7, 14, 9, 5, 1, 123456789, nepal), "20250714090501.123456+345"},
		{time.Date(2025, 7, 14, 23, 59, 59, 999999999, newfoundland), "20250714235959.999999-150"},
		// Offsets with seconds (historic local mean time) are cut to minutes.
		{time.Date(1900, 1, 1, 12, 0, 0, 0, time.FixedZone("LMT", 561)), "19000101115939.000000+009"},
		// Offsets beyond what three digits hold become UTC.
		{time.Date(2000, 1, 1, 12, 0, 0, 0, time.FixedZone("X", 17*3600)), "19991231190000.000000+000"},
		// Out of range years clamp.
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "99991231235959.999999+000"},
		{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "00000101000000.000000+000"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, nepal), "99991231235959.999999+345"},
	}
	for _, tt := range tests {
		d := DatetimeFromTime(tt.t)
		if got := d.String(); got != tt.want {
			t.Errorf("DatetimeFromTime(%v) = %s, want %s", tt.t, got, tt.want)
		}
		if err := d.Validate(); err != nil {
			t.Errorf("DatetimeFromTime(%v) is invalid: %v", tt.t, err)
		}
	}

	// A named zone keeps the offset in force at that instant.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	winter := DatetimeFromTime(time.Date(2024, 1, 15, 8, 0, 0, 0, ny))
	summer := DatetimeFromTime(time.Date(2024, 7, 15, 8, 0, 0, 0, ny))
	if winter.String() != "20240115080000.000000-300" || summer.String() != "20240715080000.000000-240" {
		t.Errorf("New York: winter %s, summer %s", winter, summer)
	}
	// Converting across zones keeps the instant.
	for _, d := range []Datetime{winter, summer} {
		tm, err := d.Time()
		if err != nil {
			t.Fatal(err)
		}
		tokyo, _ := time.LoadLocation("Asia/Tokyo")
		if back := DatetimeFromTime(tm.In(tokyo)); back.Offset != 540 {
			t.Errorf("Tokyo offset %d", back.Offset)
		} else if c, ok := back.Compare(d); !ok || c != 0 {
			t.Errorf("%s and %s are not the same instant", back, d)
		}
	}
}

func TestInterval(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "00000000000000.000000:000"},
		{-time.Hour, "00000000000000.000000:000"},
		{time.Microsecond, "00000000000000.000001:000"},
		{999 * time.Nanosecond, "00000000000000.000000:000"},
		{36*time.Hour + 32*time.Second, "00000001120032.000000:000"},
		{24*time.Hour - time.Microsecond, "00000000235959.999999:000"},
		{1<<63 - 1, "00106751234716.854775:000"},
	}
	for _, tt := range tests {
		iv := IntervalFromDuration(tt.d)
		if got := iv.String(); got != tt.want {
			t.Errorf("IntervalFromDuration(%v) = %s, want %s", tt.d, got, tt.want)
		}
		back, err := iv.Duration()
		if err != nil {
			t.Fatalf("%s.Duration(): %v", iv, err)
		}
		want := max(tt.d, 0).Truncate(time.Microsecond)
		if back != want {
			t.Errorf("%s.Duration() = %v, want %v", iv, back, want)
		}
	}

	long, _ := ParseDatetime("00106752000000.000000:000")
	if _, err := long.Duration(); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("Duration of 106752 days: %v, want WBEM_E_INVALID_PARAMETER", err)
	}
	longest, _ := ParseDatetime("00106751234716.854776:000")
	if dd, err := longest.Duration(); err == nil {
		t.Errorf("Duration one microsecond past the limit = %v, want an error", dd)
	}
	ts, _ := ParseDatetime("19980401135809.000000+000")
	if _, err := ts.Duration(); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("Duration of a timestamp: %v, want WBEM_E_INVALID_PARAMETER", err)
	}
}

func TestDatetimeCompare(t *testing.T) {
	tests := []struct {
		a, b string
		c    int
		ok   bool
	}{
		{"19980401135809.000000+000", "19980401135809.000000+000", 0, true},
		{"19980401135809.000000+000", "19980401145809.000000+060", 0, true}, // same instant
		{"19980401135809.000000+000", "19980401135809.000001+000", -1, true},
		{"19980401135809.000000-060", "19980401135809.000000+000", 1, true},
		{"19990101000000.000000+000", "19981231235959.999999+000", 1, true},
		{"00000001000000.000000:000", "00000000235959.999999:000", 1, true},
		{"00000000000001.000000:000", "00000000000001.000000:000", 0, true},
		{"00000000000001.000000:000", "00000000000002.000000:000", -1, true},
		{"19980401135809.000000+000", "00000001000000.000000:000", 0, false},
		{"19980401******.000000+000", "19980401135809.000000+000", 0, false},
		{"19980401135809.000000+***", "19980401135809.000000+000", 0, false},
	}
	for _, tt := range tests {
		a, err := ParseDatetime(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseDatetime(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := a.Compare(b)
		if c != tt.c || ok != tt.ok {
			t.Errorf("Compare(%s, %s) = %d, %v; want %d, %v", tt.a, tt.b, c, ok, tt.c, tt.ok)
		}
		if c2, ok2 := b.Compare(a); c2 != -tt.c || ok2 != tt.ok {
			t.Errorf("Compare(%s, %s) = %d, %v; want %d, %v", tt.b, tt.a, c2, ok2, -tt.c, tt.ok)
		}
	}
}

func TestDatetimeValidate(t *testing.T) {
	bad := []Datetime{
		{Year: 10000, Month: 1, Day: 1},
		{Year: 2000, Month: 0, Day: 1},
		{Year: 2000, Month: 1, Day: 1, Hour: 24},
		{Year: 2000, Month: 1, Day: 1, Second: 60},
		{Year: 2000, Month: 1, Day: 1, Microsecond: 1000000},
		{Year: 2000, Month: 1, Day: 1, Offset: 1000},
		{Year: 2001, Month: 2, Day: 29},
		{Year: -2, Month: 1, Day: 1},
		{Interval: true, Days: -1},
		{Interval: true, Hour: Wildcard},
		{Interval: true, Days: MaxIntervalDays + 1},
	}
	for _, d := range bad {
		if err := d.Validate(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("Validate(%+v) = %v, want WBEM_E_INVALID_PARAMETER", d, err)
		}
	}
	if !(Datetime{Year: 2000, Month: 1, Day: 1, Offset: Wildcard}).HasWildcard() {
		t.Error("HasWildcard missed a wildcard offset")
	}
	if (Datetime{Year: 2000, Month: 1, Day: 1, Offset: -60}).HasWildcard() {
		t.Error("HasWildcard reported a wildcard in a complete timestamp")
	}
	if got := (Datetime{}).String(); len(got) != DatetimeLength {
		t.Errorf("zero Datetime prints %q (%d characters)", got, len(got))
	}
}

// TestDatetimeChecklist21 is checklist item 21 of the spec: parse and format
// round trips of timestamps with wildcard fields, negative offsets and
// intervals with their ":000" suffix.
func TestDatetimeChecklist21(t *testing.T) {
	for _, s := range []string{
		"19980416******.000000+***",
		"20011231235959.999999-420",
		"00000001120032.000000:000",
		"**************.******+***",
	} {
		d, err := ParseDatetime(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if d.String() != s {
			t.Errorf("round trip %s → %s", s, d)
		}
		v, err := String(s).Convert(TypeDatetime)
		if err != nil || v.Str() != s {
			t.Errorf("String(%q).Convert(datetime) = %v, %v", s, v, err)
		}
	}
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{
		"19980401135809.000000+000", "19980416******.000000+***", "00000001120032.000000:000",
		"20240229235959.999999-480", "19980401120000.000000-000", "199*0416******.000000+***",
		"00106751234716.854775:000", "99999999235959.999999:000", "****0229******.******-***",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDatetime(s)
		if err != nil {
			if StatusOf(err) != WBEM_E_INVALID_PARAMETER {
				t.Fatalf("ParseDatetime(%q): status %v", s, StatusOf(err))
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("ParseDatetime(%q) = %+v which Validate rejects: %v", s, d, err)
		}
		out := d.String()
		d2, err := ParseDatetime(out)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", out, s, err)
		}
		if d2 != d {
			t.Fatalf("reparse of %q = %+v, want %+v", out, d2, d)
		}
		if d2.String() != out {
			t.Fatalf("String not stable: %q then %q", out, d2.String())
		}
		if !strings.HasSuffix(s, "-000") && !strings.HasSuffix(s, "-***") && out != s {
			t.Fatalf("String of %q = %q, not the input", s, out)
		}
		if tm, err := d.Time(); err == nil {
			if back := DatetimeFromTime(tm); back != d {
				t.Fatalf("DatetimeFromTime(Time(%q)) = %s", s, back)
			}
		}
		if dur, err := d.Duration(); err == nil {
			if back := IntervalFromDuration(dur); back != d {
				t.Fatalf("IntervalFromDuration(Duration(%q)) = %s", s, back)
			}
		}
	})
}

func ExampleParseDatetime() {
	d, err := ParseDatetime("19980401135809.000000-300")
	if err != nil {
		panic(err)
	}
	tm, _ := d.Time()
	fmt.Println(tm.UTC().Format(time.RFC3339))

	iv, _ := ParseDatetime("00000001120032.000000:000")
	dur, _ := iv.Duration()
	fmt.Println(dur)

	_, err = ParseDatetime("199*0416******.000000+***")
	fmt.Println(err)
	// Output:
	// 1998-04-01T18:58:09Z
	// 36h0m32s
	// WBEM_E_INVALID_PARAMETER (0x80041008): datetime "199*0416******.000000+***": the year field must be all digits or all asterisks, found character '*' at position 4
}
