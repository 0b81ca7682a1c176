// Package alisign is Alibaba Cloud's RPC request signature, version 1.0
// with HMAC-SHA1, shared by the alimqtt provider (which signs) and the
// emulator in iotauthtest (which verifies), so both follow one definition.
//
// Its place: internal to the root module, which therefore needs no Alibaba
// SDK; the SDK's own signing is checked against the emulator in the interop
// module.
package alisign
