package pahomqtt_test

import (
	"context"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/pahomqtt"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// A device in Alibaba Cloud MQTT's token mode: the token comes from a
// Cache, every (re)connect logs in with the current one, and it is renewed
// on the live connection before it expires.
func ExampleClientOptions() {
	emu := iotauthtest.NewServer() // the platform and its broker, emulated
	defer emu.Close()
	broker, _ := mqttbroker.Start(emu)
	defer broker.Close()
	ali, _ := alimqtt.New(alimqtt.Config{
		Endpoint: emu.URL, RegionID: "cn-hangzhou", InstanceID: iotauthtest.AlibabaInstanceID,
		AccessKeyID: iotauthtest.AlibabaAccessKeyID, AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		MQTTHost: broker.Host, MQTTPort: broker.Port, MQTTTLSPort: -1,
		HTTPClient: noKeepAlive,
	})
	tokens := iotauth.NewCache(ali.TokenSource([]string{"sensors/#"}, alimqtt.ActionReadWrite, time.Hour))
	defer tokens.Close()

	opts, err := pahomqtt.ClientOptions(context.Background(), ali.TokenMQTTSource("GID_sensors@@@device-42", tokens))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := mqtt.NewClient(opts.SetCleanSession(false)) // a persistent session: nothing lost across reconnects
	if t := client.Connect(); t.Wait() && t.Error() != nil {
		fmt.Println(t.Error())
		return
	}
	defer client.Disconnect(250)
	fmt.Println("connected:", client.IsConnectionOpen())
	fmt.Println("broker holds:", len(broker.Tokens("GID_sensors@@@device-42")), "token")
	// Output:
	// connected: true
	// broker holds: 1 token
}
