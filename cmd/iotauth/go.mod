module github.com/iotauth/iotauth/cmd/iotauth

go 1.25.0

replace github.com/iotauth/iotauth => ../..

require (
	github.com/iotauth/iotauth v0.0.0-00010101000000-000000000000
	github.com/spf13/cobra v1.10.1
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/mochi-mqtt/server/v2 v2.7.9 // indirect
	github.com/rs/xid v1.4.0 // indirect
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/iotauth/iotauth/iotauthtest/mqttbroker v0.0.0-00010101000000-000000000000
	github.com/spf13/pflag v1.0.9 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.41.0 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)

replace github.com/iotauth/iotauth/iotauthtest/mqttbroker => ../../iotauthtest/mqttbroker
