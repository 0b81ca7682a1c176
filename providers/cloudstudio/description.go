package cloudstudio

import (
	"crypto/rand"
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// uniqueDescription makes text unique for one creation, since the platform
// refuses two consecutive creations with the same description: text, a
// space, the UTC time and a random suffix, with text shortened so that the
// whole fits the platform's 255 characters.
func uniqueDescription(text string, now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	suffix := " " + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	room := maxDescription - utf8.RuneCountInString(suffix)
	if utf8.RuneCountInString(text) > room {
		text = string([]rune(text)[:room])
	}
	return text + suffix
}
