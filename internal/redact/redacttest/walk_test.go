package redacttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWalk_FindsTheTypesThatHoldASecret(t *testing.T) {
	got, err := Walk("testdata/mod")
	require.NoError(t, err)
	assert.Equal(t, []string{"mod.ByPointer", "mod.Direct", "mod.Embeds", "mod.Generic", "mod.InMap",
		"mod.InSlice", "mod.Named", "mod.NamedBytes", "mod.OtherPackage", "mod.Source", "sub.Holder"}, got)

	got, err = Walk("testdata/mod", "sub")
	require.NoError(t, err)
	assert.NotContains(t, got, "sub.Holder", "a skipped directory is not reported")
}
