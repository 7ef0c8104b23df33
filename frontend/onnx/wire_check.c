/* wire_check.c: a structural pre-check of serialized protobuf messages before protobuf-c
 * unpacks them: tags, varints and lengths stay inside the buffer, and message nesting is
 * bounded (protobuf-c's unpacker recurses once per nested message without a limit, so a few
 * megabytes of nested headers would overflow the stack). Decoding itself is protobuf-c's. */
#include "onnx_internal.h"

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (*p == end) return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static const char *check(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                         const uint8_t *end, unsigned depth) {
    if (depth > ONNX_MAX_MSG_DEPTH) return "messages are nested too deeply";
    while (p < end) {
        uint64_t tag, len;
        if (!read_varint(&p, end, &tag)) return "a field tag is truncated or malformed";
        uint64_t number = tag >> 3;
        if (number == 0 || number > 0x1fffffff) return "a field number is invalid";
        switch (tag & 7) {
        case 0:
            if (!read_varint(&p, end, &len)) return "a varint is truncated or malformed";
            break;
        case 1:
            if (end - p < 8) return "a 64-bit field runs past the end";
            p += 8;
            break;
        case 5:
            if (end - p < 4) return "a 32-bit field runs past the end";
            p += 4;
            break;
        case 2: {
            if (!read_varint(&p, end, &len)) return "a length is truncated or malformed";
            if (len > (uint64_t)(end - p)) return "a length runs past the end of its message";
            const ProtobufCFieldDescriptor *f =
                desc ? protobuf_c_message_descriptor_get_field(desc, (unsigned)number) : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                const char *err = check(f->descriptor, p, p + len, depth + 1);
                if (err) return err;
            }
            p += len;
            break;
        }
        default: return "a field has an unsupported wire type";
        }
    }
    return NULL;
}

const char *onnx_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                            size_t len) {
    if (!len) return NULL;
    if (!data) return "no data";
    return check(desc, data, data + len, 0);
}
