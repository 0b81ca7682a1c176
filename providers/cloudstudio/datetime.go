package cloudstudio

import (
	"time"

	"github.com/iotauth/iotauth/internal/httpc"
)

// dateTime is the platform's date structure:
// {"Date":{"Day","Month","Year"},"Time":{"Hour","Minute","Second","Millisecond"}}.
// Numbers may come as strings; a missing Time is midnight.
type dateTime struct {
	Date *struct {
		Day, Month, Year httpc.FlexInt
	}
	Time *struct {
		Hour, Minute, Second, Millisecond httpc.FlexInt
	}
}

// field is one component of a dateTime with its valid range.
type field struct {
	name     string
	v        httpc.FlexInt
	required bool
	min, max int64
}

// utc returns the moment d names, in UTC, or why it names none: a missing
// Date, a missing or negative component, or an impossible date such as
// February 30 or hour 24.
func (d *dateTime) utc() (time.Time, string) {
	if d == nil || d.Date == nil {
		return time.Time{}, "missing Date"
	}
	fields := []field{
		{"Year", d.Date.Year, true, 1, 9999},
		{"Month", d.Date.Month, true, 1, 12},
		{"Day", d.Date.Day, true, 1, 31},
	}
	if d.Time != nil {
		fields = append(fields,
			field{"Hour", d.Time.Hour, false, 0, 23},
			field{"Minute", d.Time.Minute, false, 0, 59},
			field{"Second", d.Time.Second, false, 0, 59},
			field{"Millisecond", d.Time.Millisecond, false, 0, 999})
	}
	var v [7]int
	for i, f := range fields {
		if f.required && !f.v.Set {
			return time.Time{}, "missing " + f.name
		}
		if f.v.V < f.min || f.v.V > f.max {
			return time.Time{}, "impossible " + f.name
		}
		v[i] = int(f.v.V)
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*int(time.Millisecond), time.UTC)
	// time.Date normalizes February 30 to March 2: an impossible date does
	// not survive the round trip.
	if t.Year() != v[0] || int(t.Month()) != v[1] || t.Day() != v[2] {
		return time.Time{}, "impossible date"
	}
	return t, ""
}
