module github.com/iotauth/iotauth/benchmarks

go 1.25.0

replace github.com/iotauth/iotauth => ../

require (
	github.com/aws/smithy-go v1.28.9
	github.com/iotauth/iotauth v0.0.0-00010101000000-000000000000
	github.com/iotauth/iotauth/store/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.22.0
	golang.org/x/oauth2 v0.36.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/crypto v0.41.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)

replace github.com/iotauth/iotauth/store/redisstore => ../store/redisstore
