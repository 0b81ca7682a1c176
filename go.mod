module github.com/iotauth/iotauth

go 1.25

require (
	github.com/go-resty/resty/v2 v2.17.2 // indirect
	github.com/jarcoal/httpmock v1.4.2 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/net v0.43.0 // indirect
)
