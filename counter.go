package iotauth

import (
	"sync/atomic"
	"unsafe"
)

// hitCounter counts cache hits from many goroutines without making them
// contend for one cache line. A goroutine picks its shard from the address
// of its own stack, which costs nothing and keeps each goroutine on one shard.
type hitCounter struct {
	_      [128]byte // keep the first shard off the fields before it
	shards [16]struct {
		n atomic.Int64
		_ [120]byte // 128 bytes a shard: x86 fetches cache lines in pairs
	}
}

func (h *hitCounter) add() {
	var probe byte
	a := uintptr(unsafe.Pointer(&probe))
	// Goroutine stacks start at 2 KiB: stacks of different goroutines
	// differ in bit 11 or above.
	h.shards[(a>>11)%uintptr(len(h.shards))].n.Add(1)
}

func (h *hitCounter) load() int64 {
	var total int64
	for i := range h.shards {
		total += h.shards[i].n.Load()
	}
	return total
}
