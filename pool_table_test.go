package iotauth

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestPoolTable_AgainstAMap drives one shard's table through random
// inserts, removals and sweeps, growing and shrinking it, with thousands of
// keys sharing tags, and checks every key after each step against a map.
func TestPoolTable_AgainstAMap(t *testing.T) {
	s := &poolShard{seed: maphash.MakeSeed()}
	hash := func(k string) uint64 { return maphash.String(s.seed, k) }
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]*poolEntry{}
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	check := func(step int) {
		t.Helper()
		if s.live != len(model) {
			t.Fatalf("step %d: live %d, want %d", step, s.live, len(model))
		}
		for _, k := range keys {
			if got, want := s.lookup(hash(k), k), model[k]; got != want {
				t.Fatalf("step %d: lookup(%q) = %p, want %p", step, k, got, want)
			}
		}
		if tab := s.tab.Load(); tab != nil && (s.used*4 > len(tab.slots)*3 || s.used < s.live) {
			t.Fatalf("step %d: %d slots used of %d, %d live", step, s.used, len(tab.slots), s.live)
		}
	}
	for step := range 4000 {
		// Grow to about 2,000 keys, then shrink to none, then grow again.
		insertShare := 0.7
		if step%2000 >= 1000 {
			insertShare = 0.2
		}
		k := keys[rng.IntN(len(keys))]
		switch r := rng.Float64(); {
		case r < 0.01:
			var out []*poolEntry
			out = s.removeIf(out, func(pe *poolEntry) bool { return len(pe.key)%2 == 0 })
			for _, pe := range out {
				if model[pe.key] != pe {
					t.Fatalf("step %d: removeIf returned %q, not in the table", step, pe.key)
				}
				delete(model, pe.key)
			}
		case r < insertShare:
			if model[k] == nil {
				pe := &poolEntry{key: k}
				s.insertLocked(hash(k), pe)
				model[k] = pe
			}
		default:
			if got := s.remove(hash(k), k); got != model[k] {
				t.Fatalf("step %d: remove(%q) = %p, want %p", step, k, got, model[k])
			}
			delete(model, k)
		}
		if step%50 == 0 || step > 3950 {
			check(step)
		}
	}
	check(-1)
	if got := len(s.drain()); got != len(model) || s.live != 0 {
		t.Fatalf("drain took %d, want %d; %d left", got, len(model), s.live)
	}
}

// TestPoolTable_CollidingKeysProbeOn fills a run of slots with keys whose
// hashes pick the same slot, so that finding the last ones means probing
// past the others, and past tombstones once some go.
func TestPoolTable_CollidingKeysProbeOn(t *testing.T) {
	s := &poolShard{seed: maphash.MakeSeed()}
	s.rebuildLocked(1000) // 4,096 slots
	tab := s.tab.Load()
	var same, others []string
	for i := 0; len(same) < 20 || len(others) < 600; i++ {
		k := fmt.Sprintf("k%d", i)
		if maphash.String(s.seed, k)&tab.mask == 0 {
			same = append(same, k)
		} else if len(others) < 600 {
			others = append(others, k) // enough that removals do not shrink the table
		}
	}
	for _, k := range append(others, same...) {
		s.insertLocked(maphash.String(s.seed, k), &poolEntry{key: k})
	}
	if s.tab.Load() != tab {
		t.Fatal("the table was rebuilt; the test wants it as it was sized")
	}
	for i, k := range same {
		if i%2 == 0 {
			s.remove(maphash.String(s.seed, k), k)
		}
	}
	if s.tab.Load() != tab {
		t.Fatal("the table was rebuilt; the test wants its tombstones")
	}
	for i, k := range same {
		pe := s.lookup(maphash.String(s.seed, k), k)
		if (pe != nil) != (i%2 == 1) {
			t.Fatalf("key %d of %d sharing a slot: found %v", i, len(same), pe != nil)
		}
	}
}
