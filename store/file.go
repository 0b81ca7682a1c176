package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// File is a Store and Locker in a directory, shared by the processes of one
// host. Each key has a token file, named after a hash of the key and
// readable by its owner only (0600, in a 0700 directory), and a lock file.
//
// A token file is replaced atomically: written to a temporary file in the
// same directory, synced, renamed over the old one and the directory
// synced, so a process killed mid-write leaves the old token or the new one,
// never a torn or empty file. Tokens are sealed with AES-GCM when
// WithFileEncryptionKey is given.
//
// The lock is an flock(2) on the key's lock file: the kernel releases it
// when its holder exits or dies. The holder also writes its lease's end in
// the file, so that a holder that froze without dying is replaced once its
// lease runs out.
type File struct {
	dir   string
	codec *tokencodec.Codec
}

var (
	_ iotauth.Store  = (*File)(nil)
	_ iotauth.Locker = (*File)(nil)
)

// FileOption configures NewFile.
type FileOption func(*fileConfig)

type fileConfig struct {
	key iotauth.Secret
}

// WithFileEncryptionKey seals the tokens at rest with AES-256-GCM under a
// key derived from key with HKDF-SHA256. key must be at least 16 bytes; a
// long random value is best. Every process sharing the directory needs the
// same key; a token sealed under another key loads as ErrWrongKey.
func WithFileEncryptionKey(key iotauth.Secret) FileOption {
	return func(c *fileConfig) { c.key = key }
}

const (
	tokenExt = ".token"
	lockExt  = ".lock"
	tempExt  = ".tmp"
	// maxTokenFile bounds what Load reads: a token is a few hundred bytes.
	maxTokenFile = 1 << 20
	// staleTemp is the age past which NewFile removes the temporary file of
	// a write that never finished (its writer was killed).
	staleTemp = time.Hour
)

// NewFile returns a File store in dir, creating dir with mode 0700 if
// needed. It refuses a dir that others can read or write, and an encryption
// key shorter than 16 bytes.
func NewFile(dir string, opts ...FileOption) (*File, error) {
	var cfg fileConfig
	for _, o := range opts {
		o(&cfg)
	}
	if dir == "" {
		return nil, errors.New("iotauth: file store: dir is required")
	}
	codec, err := tokencodec.New(cfg.key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("iotauth: file store: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("iotauth: file store: %s has mode %#o; it must not be open to group or others (chmod 700)", dir, perm)
	}
	f := &File{dir: dir, codec: codec}
	f.removeStaleTemps()
	return f, nil
}

// name is the file name stem for key: keys hold ':' and any byte, so the
// name is a hash of the key.
func (f *File) name(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

func (f *File) tokenPath(key string) string { return filepath.Join(f.dir, f.name(key)+tokenExt) }
func (f *File) lockPath(key string) string  { return filepath.Join(f.dir, f.name(key)+lockExt) }

// Load returns the token saved under key, or (nil, nil) when there is none
// or it has expired. A file that does not decode is ErrCorrupt or
// ErrWrongKey.
func (f *File) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return nil, err
	}
	b, err := readCapped(f.tokenPath(key), maxTokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	t, err := f.codec.Decode(key, b)
	if err != nil {
		return nil, err
	}
	if t.ExpiredAt(time.Now()) {
		return nil, nil
	}
	return t, nil
}

// readCapped reads the file at path, refusing one larger than max.
func readCapped(path string, max int64) ([]byte, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: file larger than %d bytes", tokencodec.ErrCorrupt, max)
	}
	return b, nil
}

// Save replaces the token under key atomically (see File). An already
// expired token is not saved.
func (f *File) Save(ctx context.Context, key string, t *iotauth.Token) error {
	skip, err := tokencodec.CheckSave(ctx, key, t)
	if err != nil || skip {
		return err
	}
	b, err := f.codec.Encode(key, t)
	if err != nil {
		return err
	}
	if err := f.writeAtomic(f.tokenPath(key), b); err != nil {
		return fmt.Errorf("iotauth: file store: %w", err)
	}
	return nil
}

// writeAtomic replaces path with b through a synced temporary file and a
// rename, then syncs the directory so that the rename itself is durable.
func (f *File) writeAtomic(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(f.dir, "."+filepath.Base(path)+".*"+tempExt)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return f.syncDir()
}

func (f *File) syncDir() error {
	d, err := os.Open(f.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Delete removes the token under key, if any. The lock file stays: removing
// it could let two processes lock two different files under one name.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return err
	}
	err := os.Remove(f.tokenPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iotauth: file store: %w", err)
	}
	if err := f.syncDir(); err != nil {
		return fmt.Errorf("iotauth: file store: %w", err)
	}
	return nil
}

// removeStaleTemps removes the temporary files of writes whose writer died
// long ago. A failure only leaves a few stray files, so it is not reported.
func (f *File) removeStaleTemps() {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), tempExt) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(f.dir, e.Name()))
		}
	}
}
