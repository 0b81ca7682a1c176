package mqttbroker

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/iotauth/iotauth/iotauthtest"
)

// codeTypeMismatch is the $SYS/tokenInvalidNotice code for a token given
// under another type than it was applied for.
const codeTypeMismatch = 5

// hook is the broker's authentication, authorization and token handling.
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "iotauth-broker-emulator" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnSessionEstablish,
		mqtt.OnDisconnect, mqtt.OnACLCheck, mqtt.OnPacketRead, mqtt.OnPublish}, []byte{b})
}

// OnConnect counts every CONNECT, accepted or not.
func (h *hook) OnConnect(cl *mqtt.Client, _ packets.Packet) error {
	h.b.count(cl.ID, func(c *Counts) { c.Connects++ })
	return nil
}

// OnConnectAuthenticate accepts the logins the platform emulators issued.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), string(pk.Connect.Password)
	var ok bool
	var tokens map[string]string
	if iotauthtest.IsAlibabaUsername(user) {
		ok = h.b.emu.Alibaba.AcceptsMQTTLogin(cl.ID, user, pass)
		if ok && strings.HasPrefix(user, "Token|") {
			tokens = map[string]string{}
			f := strings.Split(pass, "|")
			for i := 0; i+1 < len(f); i += 2 {
				tokens[f[i]] = f[i+1]
			}
		}
	} else if iotauthtest.IsIoTDAClientID(cl.ID) {
		ok = h.b.emu.IoTDA.AcceptsMQTTLogin(cl.ID, user, pass)
	} else {
		ok = h.b.emu.MXCHIP.AcceptsMQTTLogin(cl.ID, user, pass)
	}
	if !ok {
		h.b.count(cl.ID, func(c *Counts) { c.Refused++ })
		return false
	}
	if tokens != nil {
		h.b.mu.Lock()
		h.b.pending[cl] = tokens
		h.b.mu.Unlock()
	}
	return true
}

// OnSessionEstablish records the client and its tokens, before its CONNACK.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &session{cl: cl, tokens: b.pending[cl], noticed: map[string]bool{}}
	delete(b.pending, cl)
	b.sessions[cl.ID] = s
}

func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, cl)
	if s, ok := b.sessions[cl.ID]; ok && s.cl == cl {
		delete(b.sessions, cl.ID)
	}
}

// OnACLCheck limits Token mode clients to their tokens' resources: W
// tokens (or RW) to publish, R tokens (or RW) to subscribe and receive.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if topic == uploadTopic {
		return true
	}
	b := h.b
	b.mu.Lock()
	s, ok := b.sessions[cl.ID]
	var tokens []string
	if ok && s.cl == cl {
		for typ, tok := range s.tokens {
			if (write && strings.Contains(typ, "W")) || (!write && strings.Contains(typ, "R")) {
				tokens = append(tokens, tok)
			}
		}
	}
	b.mu.Unlock()
	if !ok || s.cl != cl || s.tokens == nil {
		return true // not a Token mode client
	}
	for _, tok := range tokens {
		t, ok := b.emu.Alibaba.Token(tok)
		if !ok {
			continue
		}
		for _, r := range t.Resources {
			if covers(r, topic) {
				return true
			}
		}
	}
	return false
}

// OnPacketRead takes $SYS/uploadToken publishes before mochi drops them.
// An accepted token replaces the connection's token of its type and the
// publish is acknowledged; a refused one gets a $SYS/tokenInvalidNotice
// and the connection is dropped.
func (h *hook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Publish || pk.TopicName != topicUploadToken {
		return pk, nil
	}
	var up struct {
		Token string `json:"token"`
		Type  string `json:"type"`
	}
	if err := json.Unmarshal(pk.Payload, &up); err != nil || up.Token == "" {
		notify(cl, topicInvalidNotice, invalidNotice{codeForged, up.Type})
		return pk, packets.ErrRejectPacket
	}
	ali := h.b.emu.Alibaba
	t, ok := ali.Token(up.Token)
	code := 0
	switch {
	case !ok:
		code = codeForged
	case t.Revoked:
		code = codeRevoked
	case !ali.Now().Before(t.Expire):
		code = codeExpired
	case t.Type != up.Type:
		code = codeTypeMismatch
	}
	if code != 0 {
		notify(cl, topicInvalidNotice, invalidNotice{code, up.Type})
		return pk, packets.ErrRejectPacket
	}
	b := h.b
	b.mu.Lock()
	if s, ok := b.sessions[cl.ID]; ok && s.cl == cl && s.tokens != nil {
		s.tokens[up.Type] = up.Token
		delete(s.noticed, up.Type)
	}
	b.mu.Unlock()
	b.count(cl.ID, func(c *Counts) { c.Uploads++; c.LastUpload = time.Now() })
	pk.TopicName = uploadTopic
	return pk, nil
}

// OnPublish acknowledges an accepted upload without forwarding it.
func (h *hook) OnPublish(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.TopicName == uploadTopic {
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

// covers reports whether the resource filter r (with MQTT wildcards)
// covers topic, itself a topic or a subscription filter.
func covers(r, topic string) bool {
	rs, ts := strings.Split(r, "/"), strings.Split(topic, "/")
	for i, seg := range rs {
		switch {
		case seg == "#":
			return true
		case i >= len(ts):
			return false
		case seg == "+":
			if ts[i] == "#" {
				return false
			}
		case seg != ts[i]:
			return false
		}
	}
	return len(rs) == len(ts)
}
