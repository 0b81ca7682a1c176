// Package redistest runs real redis-server processes for tests: a single
// server, a Redis Cluster (StartCluster) or a Sentinel group
// (StartSentinel), on free loopback ports, without persistence, stopped when
// the test ends. A server can be killed, restarted, stopped (SIGSTOP) and
// continued, and its INFO commandstats read (CommandStats). Tests that need
// it are skipped when redis-server is not installed, except under CI=true,
// where a missing server fails them.
//
// Its place: internal to the store/redisstore module, whose tests need a
// real Redis; nothing outside that module imports it, so go-redis stays out
// of the root module.
package redistest
