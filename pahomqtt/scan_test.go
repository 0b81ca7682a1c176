package pahomqtt

import (
	"bytes"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scanner finds the CONNACK code and every PUBLISH topic in a stream
// read in pieces of any size.
func TestScanner_FindsConnackAndTopics_InAnyPieces(t *testing.T) {
	var stream bytes.Buffer
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.ReturnCode = 4
	require.NoError(t, ack.Write(&stream))
	topics := []string{"$SYS/tokenExpireNotice", "a/b", string(bytes.Repeat([]byte("t"), 300))}
	for i, tp := range topics {
		pub := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
		pub.TopicName, pub.Qos, pub.MessageID = tp, byte(i%2), uint16(i+1)
		pub.Payload = bytes.Repeat([]byte{'x'}, 200*i)
		require.NoError(t, pub.Write(&stream))
		ping := packets.NewControlPacket(packets.Pingresp)
		require.NoError(t, ping.Write(&stream))
	}
	b := stream.Bytes()
	for _, size := range []int{1, 2, 3, 7, 64, len(b)} {
		var s scanner
		var codes []byte
		var got []string
		for i := 0; i < len(b); i += size {
			s.scan(b[i:min(i+size, len(b))], func(typ byte, kept []byte) {
				switch typ {
				case typeConnack:
					codes = append(codes, kept[1])
				case typePublish:
					got = append(got, string(kept[2:]))
				}
			})
		}
		assert.Equal(t, []byte{4}, codes, "pieces of %d", size)
		assert.Equal(t, topics, got, "pieces of %d", size)
	}
}
