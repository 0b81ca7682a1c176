package iotda_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// An IAM user's Provider in an iotauth.Cache and Transport: every IoTDA call
// of the http.Client carries the token as X-Auth-Token, one login for all.
func Example() {
	srv := iotauthtest.NewServer() // stands in for IAM and the IoTDA endpoint
	defer srv.Close()

	p, err := iotda.New(iotda.Config{
		Endpoint:    srv.URL, // https://{id}.st1.iotda-app.cn-north-4.myhuaweicloud.com
		IAMEndpoint: srv.URL, // https://iam.cn-north-4.myhuaweicloud.com
		DomainName:  iotauthtest.IoTDADomainName,
		UserName:    iotauthtest.IoTDAUserName,
		Password:    iotauthtest.IoTDAPassword,
		ProjectName: iotauthtest.IoTDAProjectName,
	})
	if err != nil {
		log.Fatal(err)
	}
	cache := iotauth.NewCache(p)
	defer cache.Close()
	hc := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	for range 3 {
		res, err := hc.Get(srv.URL + "/v5/iot/" + iotauthtest.IoTDAProjectID + "/devices")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, strings.Contains(string(body), iotauthtest.IoTDADeviceID))
	}
	fmt.Println("logins:", srv.IAM.Logins())
	// Output:
	// 200 true
	// 200 true
	// 200 true
	// logins: 1
}

// With an access key, no token is obtained: the Transport signs each
// request.
func ExampleConfig_accessKey() {
	srv := iotauthtest.NewServer()
	defer srv.Close()

	p, err := iotda.New(iotda.Config{
		Endpoint:  srv.URL,
		AccessKey: iotauthtest.IoTDAAccessKey,
		SecretKey: iotauthtest.IoTDASecretKey,
	})
	if err != nil {
		log.Fatal(err)
	}
	hc := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(p), nil)}
	res, err := hc.Get(srv.URL + "/v5/iot/" + iotauthtest.IoTDAProjectID + "/devices")
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, "IAM logins:", srv.IAM.Logins())
	// Output: 200 IAM logins: 0
}

// A device's MQTT login for one hour: client id, user name and password.
func ExampleDeviceLogin() {
	at := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	l, err := iotda.DeviceLogin("6543a1b2c3d4e5f6a7b8c9d0_sensor-1", "device-secret", at)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.ClientID, l.Username, len(l.Password))

	_, err = iotda.DeviceLogin("bad id/with a slash", "device-secret", at)
	fmt.Println(err)
	// Output:
	// 6543a1b2c3d4e5f6a7b8c9d0_sensor-1_0_1_2026120309 6543a1b2c3d4e5f6a7b8c9d0_sensor-1 64
	// iotauth: iotda mqtt login: bad request: the device id must be 1 to 128 letters, digits, "_" or "-", such as {product_id}_{node_id}
}

// New names the field a Config lacks.
func ExampleNew() {
	_, err := iotda.New(iotda.Config{Endpoint: "https://iotda.example.com", DomainName: "my-account", UserName: "app"})
	fmt.Println(err)
	// Output: iotauth: iotda New: bad request: Config.Password is required
}
