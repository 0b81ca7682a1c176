module github.com/iotauth/iotauth/iotauthtest/mqttbroker

go 1.25

replace github.com/iotauth/iotauth => ../..

require (
	github.com/iotauth/iotauth v0.0.0-00010101000000-000000000000
	github.com/mochi-mqtt/server/v2 v2.7.9
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/rs/xid v1.4.0 // indirect
)
