package alimqtt

// Provider is what issues credentials for one Alibaba Cloud account and MQTT
// instance, named as in every other provider: device credentials
// (DeviceCredential) and tokens (TokenSource). Client is its older name.
type Provider = Client

// TokenType is the type of the tokens TokenSource issues: MQTT passwords for
// the token login mode, not HTTP bearer tokens.
const TokenType = "MQTT"
