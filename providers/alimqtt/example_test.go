package alimqtt_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// A device gets its own credential, registered on first use, and connects
// to the broker with the login derived from it.
func ExampleProvider_DeviceCredential() {
	srv := iotauthtest.NewServer() // the emulated platform
	defer srv.Close()

	client, err := alimqtt.New(alimqtt.Config{
		RegionID:        "cn-hangzhou",
		Endpoint:        srv.URL, // default: https://onsmqtt.cn-hangzhou.aliyuncs.com
		AccessKeyID:     iotauthtest.AlibabaAccessKeyID,
		AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID:      iotauthtest.AlibabaInstanceID,
	})
	if err != nil {
		log.Fatal(err)
	}
	cred, err := client.DeviceCredential(context.Background(), "GID_sensors@@@device-42")
	if err != nil {
		log.Fatal(err)
	}
	login := cred.MQTTLogin()
	fmt.Println(login.BrokerURL())
	fmt.Println(login.ClientID)
	fmt.Println(login.Password) // a Secret: printing it is safe
	fmt.Println(srv.Alibaba.AcceptsMQTTLogin(login.ClientID, login.Username, string(login.Password)))
	// Output:
	// ssl://post-cn-iotauth01.mqtt.aliyuncs.com:8883
	// GID_sensors@@@device-42
	// [REDACTED]
	// true
}

// A server applies for a token limited to some topics and hands the
// device a token-mode login; the Cache renews the token ahead of its
// ExpireTime.
func ExampleProvider_TokenSource() {
	srv := iotauthtest.NewServer()
	defer srv.Close()

	client, err := alimqtt.New(alimqtt.Config{
		RegionID:        "cn-hangzhou",
		Endpoint:        srv.URL,
		AccessKeyID:     iotauthtest.AlibabaAccessKeyID,
		AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID:      iotauthtest.AlibabaInstanceID,
	})
	if err != nil {
		log.Fatal(err)
	}
	tokens := iotauth.NewCache(client.TokenSource([]string{"sensors/device-42/#"}, alimqtt.ActionReadWrite, time.Hour))
	tok, err := tokens.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	login, err := client.TokenLogin("GID_sensors@@@device-42", tok)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(login.Username)
	fmt.Println(srv.Alibaba.AcceptsMQTTLogin(login.ClientID, login.Username, string(login.Password)))
	// Output:
	// Token|LTAI5tIotauthTestKey|post-cn-iotauth01
	// true
}
