package httpc

import (
	"bytes"
	"io"
	"net/http"
)

// PeekBody returns up to n bytes of resp's body and puts back a body that
// yields the same bytes, so a rejection classifier can look at a body
// without consuming it for the caller.
func PeekBody(resp *http.Response, n int) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, int64(n)))
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(head), errReader{err}, resp.Body), closer: resp.Body}
	return head
}

type replayBody struct {
	io.Reader
	closer io.Closer
}

func (r *replayBody) Close() error { return r.closer.Close() }

// errReader replays a read error that happened while peeking; nil reads as EOF.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}
