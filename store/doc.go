// Package store holds the iotauth.Store implementations that need no server:
// Memory, for one process, and File, for the processes of one host.
//
// Both keep a token until its expiry and never return an expired one. A
// store for a fleet of hosts is in store/redisstore. Every store is handed
// to the cache with iotauth.WithStore:
//
//	s, err := store.NewFile("/var/lib/myapp/tokens", store.WithFileEncryptionKey(key))
//	cache := iotauth.NewCache(provider, iotauth.WithStore(s))
package store
