package cim

import "time"

// Wildcard marks a datetime field written as asterisks ("*").
const Wildcard = -1

// Datetime is a CIM datetime: a timestamp (yyyymmddHHMMSS.mmmmmmsUUU, UTC offset
// in minutes) or an interval (ddddddddHHMMSS.mmmmmm:000). In a timestamp any
// whole field may be Wildcard, written as asterisks.
type Datetime struct {
	Interval bool

	Year, Month, Day int // timestamp date fields
	Days             int // interval: number of days

	Hour, Minute, Second int
	Microsecond          int
	Offset               int // timestamp: UTC offset in minutes (may be Wildcard)
}

// ParseDatetime parses a DMTF datetime or interval. A malformed one gives
// WBEM_E_INVALID_PARAMETER naming the position of the first bad character.
func ParseDatetime(s string) (Datetime, error) {
	panic("unimplemented")
}

// String formats d in DMTF form (25 characters).
func (d Datetime) String() string { panic("unimplemented") }

// Time returns a timestamp as a time.Time in a fixed zone of its offset. It fails
// for intervals and timestamps with wildcards.
func (d Datetime) Time() (time.Time, error) { panic("unimplemented") }

// Duration returns an interval as a time.Duration.
func (d Datetime) Duration() (time.Duration, error) { panic("unimplemented") }

// DatetimeFromTime returns the timestamp for t, keeping t's UTC offset.
func DatetimeFromTime(t time.Time) Datetime { panic("unimplemented") }

// IntervalFromDuration returns the interval for d (negative durations count as 0).
func IntervalFromDuration(d time.Duration) Datetime { panic("unimplemented") }

// Compare orders two datetimes: timestamps by their instant, intervals by length.
// ok is false when they cannot be ordered (a timestamp against an interval, or
// wildcards).
func (d Datetime) Compare(e Datetime) (c int, ok bool) { panic("unimplemented") }
