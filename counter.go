package iotauth

import (
	"sync/atomic"
	"unsafe"
)

// hitCounter counts cache hits from many goroutines without making them
// contend for one cache line. A goroutine picks its shard from the address
// of its own stack, which costs nothing and keeps each goroutine on one shard.
type hitCounter struct {
	shards [16]struct {
		n atomic.Int64
		_ [56]byte // one shard per 64-byte cache line
	}
}

func (h *hitCounter) add() {
	var probe byte
	a := uintptr(unsafe.Pointer(&probe))
	h.shards[((a>>13)^(a>>17))%uintptr(len(h.shards))].n.Add(1)
}

func (h *hitCounter) load() int64 {
	var total int64
	for i := range h.shards {
		total += h.shards[i].n.Load()
	}
	return total
}
