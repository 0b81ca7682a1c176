package cloudstudio

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseDate(t *testing.T, raw string) (time.Time, string) {
	t.Helper()
	var d *dateTime
	require.NoError(t, json.Unmarshal([]byte(raw), &d))
	return d.utc()
}

func TestDateTime_DocumentExamples_AreParsedAsUTC(t *testing.T) {
	got, why := parseDate(t, `{"Date":{"Day":16,"Month":12,"Year":2022},"Time":{"Hour":18,"Millisecond":660,"Minute":38,"Second":33}}`)
	require.Empty(t, why)
	assert.Equal(t, time.Date(2022, 12, 16, 18, 38, 33, 660*int(time.Millisecond), time.UTC), got)
	assert.Equal(t, time.UTC, got.Location())

	got, why = parseDate(t, `{"Date":{"Day":1,"Month":1,"Year":2099},"Time":{"Hour":0,"Millisecond":0,"Minute":0,"Second":0}}`)
	require.Empty(t, why)
	assert.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), got, "the platform default expiry is a real expiry")
}

func TestDateTime_NumbersAsStringsAndMissingTime_AreAccepted(t *testing.T) {
	got, why := parseDate(t, `{"Date":{"Day":"29","Month":"2","Year":"2024"},"Time":{"Hour":"23","Minute":"59"}}`)
	require.Empty(t, why)
	assert.Equal(t, time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC), got)

	got, why = parseDate(t, `{"Date":{"Day":3,"Month":4,"Year":2025}}`)
	require.Empty(t, why)
	assert.Equal(t, time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), got, "a missing Time is midnight")
}

func TestDateTime_ImpossibleDates_AreRefused(t *testing.T) {
	cases := map[string]string{
		"February 30":          `{"Date":{"Day":30,"Month":2,"Year":2023},"Time":{}}`,
		"February 29 non-leap": `{"Date":{"Day":29,"Month":2,"Year":2023}}`,
		"April 31":             `{"Date":{"Day":31,"Month":4,"Year":2023}}`,
		"month 13":             `{"Date":{"Day":1,"Month":13,"Year":2023}}`,
		"month 0":              `{"Date":{"Day":1,"Month":0,"Year":2023}}`,
		"day 0":                `{"Date":{"Day":0,"Month":1,"Year":2023}}`,
		"hour 24":              `{"Date":{"Day":1,"Month":1,"Year":2023},"Time":{"Hour":24}}`,
		"minute 60":            `{"Date":{"Day":1,"Month":1,"Year":2023},"Time":{"Minute":60}}`,
		"second 60":            `{"Date":{"Day":1,"Month":1,"Year":2023},"Time":{"Second":60}}`,
		"millisecond 1000":     `{"Date":{"Day":1,"Month":1,"Year":2023},"Time":{"Millisecond":1000}}`,
		"negative second":      `{"Date":{"Day":1,"Month":1,"Year":2023},"Time":{"Second":-1}}`,
		"negative year":        `{"Date":{"Day":1,"Month":1,"Year":-2023}}`,
		"year 0":               `{"Date":{"Day":1,"Month":1,"Year":0}}`,
		"year 10000":           `{"Date":{"Day":1,"Month":1,"Year":10000}}`,
		"huge day":             `{"Date":{"Day":9223372036854775807,"Month":1,"Year":2023}}`,
		"missing Date":         `{"Time":{"Hour":1}}`,
		"null":                 `null`,
		"missing Day":          `{"Date":{"Month":1,"Year":2023}}`,
		"null Year":            `{"Date":{"Day":1,"Month":1,"Year":null}}`,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			got, why := parseDate(t, raw)
			assert.NotEmpty(t, why)
			assert.True(t, got.IsZero())
		})
	}
}
