module github.com/iotauth/iotauth/pahomqtt

go 1.25.0

replace (
	github.com/iotauth/iotauth => ../
	github.com/iotauth/iotauth/iotauthtest/mqttbroker => ../iotauthtest/mqttbroker
)

require (
	github.com/eclipse/paho.mqtt.golang v1.5.0
	github.com/iotauth/iotauth v0.0.0-00010101000000-000000000000
	github.com/iotauth/iotauth/iotauthtest/mqttbroker v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/mochi-mqtt/server/v2 v2.7.9 // indirect
	github.com/rs/xid v1.4.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/sync v0.7.0 // indirect
)
