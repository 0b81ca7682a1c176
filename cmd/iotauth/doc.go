// Command iotauth obtains and inspects credentials for the IoT platforms
// iotauth supports, serves their emulators, and demonstrates the cache and
// transport against them.
//
//	iotauth demo                                  # everything, in-process, no account needed
//	iotauth emulate --addr 127.0.0.1:8743         # the emulators, for your own service
//	iotauth token --platform oceanconnect         # an access token (--format plain|json|header|curl)
//	iotauth header --platform oceanconnect        # the header lines a request needs
//	iotauth mqtt --platform alimqtt --device ID   # an MQTT login
//	iotauth revoke --platform cloudstudio         # delete the stored Cloud Studio token
//	iotauth version                               # the module versions
//	iotauth completion bash                       # a shell completion script
//
// Non-secret settings come from flags, IOTAUTH_* environment variables or a
// JSON config file (--config); secrets only from the environment, a file
// ("-": standard input), or the config file, never from a flag. Tokens are
// kept between runs in a token store under the user's cache directory
// (--no-store keeps none). Exit codes: 0 success, 1 platform or network
// failure, 2 bad usage or a missing setting, 3 authentication refused.
//
// Its place: its own module, github.com/iotauth/iotauth/cmd/iotauth, so that
// cobra is not a dependency of the library; it is built only on the
// library's public API (providers, Cache, the file store, iotauthtest).
//
//	go install github.com/iotauth/iotauth/cmd/iotauth@latest
package main
