package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/storetest"
)

const fileKey = iotauth.Secret("file-store-test-key-0123456789")

func newFile(t *testing.T, dir string, opts ...store.FileOption) *store.File {
	t.Helper()
	f, err := store.NewFile(dir, opts...)
	require.NoError(t, err)
	return f
}

func TestFile_Conformance(t *testing.T) {
	dir := tokenDir(t)
	storetest.Run(t, func(t *testing.T) iotauth.Store { return newFile(t, dir) }, storetest.WithoutLeaseExpiry())
}

func TestFile_Conformance_Encrypted(t *testing.T) {
	dir := tokenDir(t)
	storetest.Run(t, func(t *testing.T) iotauth.Store {
		return newFile(t, dir, store.WithFileEncryptionKey(fileKey))
	}, storetest.WithoutLeaseExpiry())
}

func TestFile_Permissions_Are0600In0700Dir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "tokens")
	f := newFile(t, dir)
	key := storetest.Key(t)
	require.NoError(t, f.Save(t.Context(), key, storetest.Token(1, time.Hour)))
	requirePrivate(t, f, dir, key)
}

// requirePrivate checks that dir is 0700 and that key's token file and
// lock file in it are 0600 and named without the key's characters.
func requirePrivate(t *testing.T, f *store.File, dir, key string) {
	t.Helper()
	lease, err := f.Lock(t.Context(), key, time.Minute)
	require.NoError(t, err)
	defer lease.Unlock(t.Context())
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "dir")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "a token file and a lock file")
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), e.Name())
		assert.NotContains(t, e.Name(), ":", "file names are derived from a hash of the key")
	}
}

func TestFile_Permissions_HoldUnderPermissiveUmask(t *testing.T) {
	// A umask of 0 must not make the directory or token files open to
	// others. (No test in this package runs in parallel with this one.)
	defer syscall.Umask(syscall.Umask(0))
	dir := tokenDir(t)
	f := newFile(t, dir)
	key := storetest.Key(t)
	require.NoError(t, f.Save(t.Context(), key, storetest.Token(1, time.Hour)))
	requirePrivate(t, f, dir, key)
}

func TestNewFile_DirOpenToOthers_IsRefused(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o750))
	_, err := store.NewFile(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chmod 700")
}

func TestNewFile_MissingDirOrShortKey_IsAnError(t *testing.T) {
	_, err := store.NewFile("")
	require.ErrorContains(t, err, "dir is required")
	_, err = store.NewFile(tokenDir(t), store.WithFileEncryptionKey("short"))
	require.ErrorContains(t, err, "at least 16 bytes")
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))
	_, err = store.NewFile(notDir)
	require.Error(t, err)
}

func TestFile_Encrypted_FileHoldsNoSecretInClear(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir, store.WithFileEncryptionKey(fileKey))
	key := storetest.Key(t)
	require.NoError(t, f.Save(t.Context(), key, storetest.Token(7, time.Hour)))
	b := readOnlyTokenFile(t, dir)
	for _, s := range []string{"access-7", "refresh-7", "app-7", "id-7"} {
		assert.NotContains(t, string(b), s)
	}
}

func TestFile_Clear_FileHoldsTheToken(t *testing.T) {
	// The counterpart of the encrypted test: without a key the token is
	// readable, which is what makes the encrypted test meaningful.
	dir := tokenDir(t)
	f := newFile(t, dir)
	require.NoError(t, f.Save(t.Context(), storetest.Key(t), storetest.Token(7, time.Hour)))
	assert.Contains(t, string(readOnlyTokenFile(t, dir)), "access-7-SECRET")
}

func TestFile_WrongKey_IsErrWrongKey(t *testing.T) {
	dir := tokenDir(t)
	key := storetest.Key(t)
	require.NoError(t, newFile(t, dir, store.WithFileEncryptionKey(fileKey)).Save(t.Context(), key, storetest.Token(1, time.Hour)))

	for name, f := range map[string]*store.File{
		"other key": newFile(t, dir, store.WithFileEncryptionKey("another-key-of-enough-length")),
		"no key":    newFile(t, dir),
	} {
		tok, err := f.Load(t.Context(), key)
		assert.ErrorIs(t, err, store.ErrWrongKey, name)
		assert.Nil(t, tok, name)
		assert.NotContains(t, fmt.Sprintf("%+v", err), "SECRET", name)
	}
}

func TestFile_CorruptFile_IsErrCorrupt(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty":     nil,
		"truncated": []byte("IAT\x01\x00{\"access_token\":\"access-SECRET"),
		"html":      []byte("<html>502</html>"),
		"huge":      []byte(strings.Repeat("x", 2<<20)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := tokenDir(t)
			f := newFile(t, dir)
			key := storetest.Key(t)
			require.NoError(t, f.Save(t.Context(), key, storetest.Token(1, time.Hour)))
			path := onlyTokenFile(t, dir)
			require.NoError(t, os.WriteFile(path, content, 0o600))
			tok, err := f.Load(t.Context(), key)
			require.ErrorIs(t, err, store.ErrCorrupt)
			require.Nil(t, tok)
			assert.NotContains(t, err.Error(), "SECRET")
			require.NoError(t, f.Save(t.Context(), key, storetest.Token(2, time.Hour)), "a save replaces a corrupt file")
			tok, err = f.Load(t.Context(), key)
			require.NoError(t, err)
			require.Equal(t, "access-2-SECRET", tok.AccessToken)
		})
	}
}

func TestFile_SaveIntoRemovedDir_ErrorHoldsNoSecret(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir)
	require.NoError(t, os.RemoveAll(dir))
	err := f.Save(t.Context(), storetest.Key(t), storetest.Token(1, time.Hour))
	require.Error(t, err)
	assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), "SECRET")
}

func TestNewFile_RemovesStaleTempFilesOnly(t *testing.T) {
	dir := tokenDir(t)
	require.NoError(t, os.Mkdir(dir, 0o700))
	stale := filepath.Join(dir, ".abc.token.123.tmp")
	fresh := filepath.Join(dir, ".abc.token.456.tmp")
	require.NoError(t, os.WriteFile(stale, []byte("half"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("half"), 0o600))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	newFile(t, dir)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "a write in progress in another process is left alone")
}

func TestFile_RenewAfterLockFileRemoved_IsErrLockHeld(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir)
	key := storetest.Key(t)
	lease, err := f.Lock(t.Context(), key, time.Minute)
	require.NoError(t, err)
	require.NoError(t, lease.Renew(t.Context(), time.Minute))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.NoError(t, os.Remove(filepath.Join(dir, entries[0].Name())))
	require.ErrorIs(t, lease.Renew(t.Context(), time.Minute), iotauth.ErrLockHeld)
	require.NoError(t, lease.Unlock(context.Background()))
}

func TestFile_TwoStoresOnOneDir_ShareTokensAndLocks(t *testing.T) {
	dir := tokenDir(t)
	a, b := newFile(t, dir), newFile(t, dir)
	key := storetest.Key(t)
	want := storetest.Token(3, time.Hour)
	require.NoError(t, a.Save(t.Context(), key, want))
	got, err := b.Load(t.Context(), key)
	require.NoError(t, err)
	storetest.RequireSameToken(t, want, got)
	lease, err := a.Lock(t.Context(), key, time.Minute)
	require.NoError(t, err)
	_, err = b.Lock(t.Context(), key, time.Minute)
	require.ErrorIs(t, err, iotauth.ErrLockHeld)
	require.NoError(t, lease.Unlock(t.Context()))
}

// onlyTokenFile returns the path of the one token file in dir.
func onlyTokenFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.token"))
	require.NoError(t, err)
	require.Len(t, m, 1)
	return m[0]
}

func readOnlyTokenFile(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(onlyTokenFile(t, dir))
	require.NoError(t, err)
	return b
}

// tokenDir returns a directory for a File store that does not exist yet, so
// that NewFile creates it with mode 0700 (t.TempDir's are 0755 under the
// usual umask).
func tokenDir(t *testing.T) string { return filepath.Join(t.TempDir(), "tokens") }
