// Package storetest is the conformance suite every iotauth.Store passes:
// the behaviour the cache relies on, checked the same way for the memory,
// file and Redis stores and for any store written outside iotauth.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) iotauth.Store { return mystore.New(...) })
//	}
//
// The Locker and Watcher checks run when the store implements those
// interfaces. The suite waits for real time to pass where a store's expiry
// is the point (token TTLs, lease expiry), for well under a second each.
//
// Its place: part of the root module; store (Memory, File) and the
// store/redisstore module run it in their tests, and a store written outside
// iotauth should too.
package storetest
