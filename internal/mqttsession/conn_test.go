package mqttsession

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipe opens a watched connection over net.Pipe for the next login of src;
// the test plays the broker on the other end.
func pipe(t *testing.T, s *Session) (net.Conn, net.Conn) {
	t.Helper()
	_, err := s.Prepare()
	require.NoError(t, err)
	client, broker := net.Pipe()
	t.Cleanup(func() { _ = broker.Close() })
	c, err := s.Open(context.Background(), func(context.Context, string, string) (net.Conn, error) { return client, nil }, "broker:1883", false, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, broker
}

// feed writes b from the broker's end while the client reads it all.
func feed(t *testing.T, c, broker net.Conn, b []byte) {
	t.Helper()
	go func() { _, _ = broker.Write(b) }()
	_, err := io.ReadFull(c, make([]byte, len(b)))
	require.NoError(t, err)
}

// A refused CONNACK refuses the login it answered.
func TestWatched_RefusedConnack_RefusesTheLogin(t *testing.T) {
	src := &tokens{life: time.Hour}
	s := New(src)
	c, broker := pipe(t, s)
	feed(t, c, broker, packet(0x20, []byte{0, 4}))
	assert.Equal(t, []string{"T|1"}, src.refused)
	assert.Nil(t, s.Accepted())
}

// An invalid-token notice read before the renewal started still refuses the
// login; after the renewal started, the renewal drops the connection, and
// the read error says so instead of "use of closed network connection".
func TestWatched_InvalidNotice_RefusesAndDrops(t *testing.T) {
	src := &tokens{life: time.Hour}
	s := New(src)
	c, broker := pipe(t, s)
	feed(t, c, broker, packet(0x20, []byte{0, 0}))
	w := s.Accepted()
	require.NotNil(t, w)
	feed(t, c, broker, publish("invalid", 0, []byte(`{"code":2}`)))
	assert.Equal(t, []string{"T|1"}, src.refused, "refused before the renewal ran")

	w.Up(func(context.Context, string, []byte) error { return nil })
	feed(t, c, broker, publish("invalid", 0, []byte(`{"code":3}`)))
	assert.Len(t, src.refused, 2)
	_, err := c.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, ErrDropped), "%v", err)
}

// Open without a prepared login, or with a failed one, dials nothing.
func TestOpen_WithoutALogin_DialsNothing(t *testing.T) {
	s := New(&tokens{life: time.Hour, fail: true})
	dialled := false
	dial := func(context.Context, string, string) (net.Conn, error) { dialled = true; return nil, errors.New("no") }
	_, err := s.Open(context.Background(), dial, "b:1", false, nil)
	assert.ErrorIs(t, err, ErrNoLogin)
	_, err = s.Prepare()
	require.Error(t, err)
	_, err = s.Open(context.Background(), dial, "b:1", false, nil)
	require.Error(t, err)
	assert.False(t, dialled)
}
