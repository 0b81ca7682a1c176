module github.com/iotauth/iotauth

go 1.25.0

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/oauth2 v0.36.0
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.41.0 // indirect
)
