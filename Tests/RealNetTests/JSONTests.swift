import Testing

@testable import RealNet

@Suite struct JSONReaderTests {
    func document(_ text: String) throws(JSONError) -> JSONDocument {
        var document = JSONDocument()
        try document.parse(Array(text.utf8))
        return document
    }

    func syntaxError(_ text: String) -> String? {
        do {
            _ = try document(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("an etcd request: members by proto or lowerCamelCase name, nested arrays, null is unset")
    func request() throws {
        let doc = try document(#" {"key":"Zm9v", "rangeEnd" : "AA==", "limit":"5","keys_only":true,"x":null,"#
            + #""compare":[{"target":"CREATE","create_revision":0},[]]} "#)
        let root = doc.root
        #expect(doc.kind(root) == .object)
        #expect(try doc.base64Bytes(doc.member(root, "key")!) == Array("foo".utf8))
        #expect(try doc.base64Bytes(doc.member(root, "range_end", "rangeEnd")!) == [0])
        #expect(try doc.int64(doc.member(root, "limit")!) == 5)
        #expect(try doc.bool(doc.member(root, "keys_only", "keysOnly")!) == true)
        #expect(try doc.bool(doc.member(root, "x")!) == nil)
        #expect(doc.member(root, "missing") == nil)
        let compare = doc.member(root, "compare")!
        #expect(doc.count(compare) == 2)
        let elements = Array(doc.elements(compare))
        #expect(try doc.string(doc.member(elements[0], "target")!) == "CREATE")
        #expect(doc.kind(elements[1]) == .array)
        #expect(doc.members(root).count == 6)
        #expect(try doc.string(doc.members(root)[1].key) == "rangeEnd")
    }

    @Test("the last duplicate member wins, as in Go")
    func duplicates() throws {
        let doc = try document(#"{"a":1,"a":2}"#)
        #expect(try doc.int64(doc.member(doc.root, "a")!) == 2)
    }

    @Test("integers are exact: int64 and uint64 bounds, above 2^53, as numbers or strings")
    func bigIntegers() throws {
        let doc = try document(#"[18446744073709551615,"18446744073709551615",9007199254740993,"#
            + #"-9223372036854775808,"9223372036854775807",0,-0]"#)
        let e = Array(doc.elements(doc.root))
        #expect(try doc.uint64(e[0]) == UInt64.max)
        #expect(try doc.uint64(e[1]) == UInt64.max)
        #expect(try doc.uint64(e[2]) == 9_007_199_254_740_993)
        #expect(try doc.int64(e[2]) == 9_007_199_254_740_993)
        #expect(try doc.int64(e[3]) == Int64.min)
        #expect(try doc.int64(e[4]) == Int64.max)
        #expect(try doc.int64(e[5]) == 0)
        #expect(try doc.uint64(e[6]) == 0)
        #expect(throws: JSONValueError.notAnInteger(literal: "18446744073709551615", goType: "int64")) {
            try doc.int64(e[0])
        }
        #expect(throws: JSONValueError.notAnInteger(literal: "-9223372036854775808", goType: "uint64")) {
            try doc.uint64(e[3])
        }
        #expect(try doc.int32(e[5]) == 0)
    }

    @Test("etcd's messages for wrong types, fractions and overflow (#336-#339, #22)")
    func valueErrors() throws {
        let doc = try document(#"{"key":5,"limit":true,"revision":"99999999999999999999","l2":1.5,"b":"true","e":1e3}"#)
        func message(_ body: () throws -> Any?) -> String? {
            do {
                _ = try body()
                return nil
            } catch {
                return "\(error)"
            }
        }
        let root = doc.root
        #expect(message { try doc.base64Bytes(doc.member(root, "key")!) }
            == "json: cannot unmarshal number into Go value of type []uint8")
        #expect(message { try doc.int64(doc.member(root, "limit")!) }
            == "json: cannot unmarshal bool into Go value of type int64")
        #expect(message { try doc.int64(doc.member(root, "revision")!) }
            == "json: cannot unmarshal number 99999999999999999999 into Go value of type int64")
        #expect(message { try doc.int64(doc.member(root, "l2")!) }
            == "json: cannot unmarshal number 1.5 into Go value of type int64")
        #expect(message { try doc.bool(doc.member(root, "b")!) }
            == "json: cannot unmarshal string into Go value of type bool")
        #expect(message { try doc.int64(doc.member(root, "e")!) }
            == "json: cannot unmarshal number 1e3 into Go value of type int64")
        #expect(doc.numberLiteral(doc.member(root, "e")!) == "1e3")
    }

    @Test("string escapes: simple, \\u, surrogate pairs; lone surrogates become U+FFFD")
    func escapes() throws {
        let doc = try document(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC\ud83d\ude00", "\ud83d", "x\udc00y", "é"]"#)
        let e = Array(doc.elements(doc.root))
        #expect(try doc.string(e[0]) == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(try doc.string(e[1]) == "é€😀")
        #expect(try doc.string(e[2]) == "\u{FFFD}")
        #expect(try doc.string(e[3]) == "x\u{FFFD}y")
        #expect(try doc.string(e[4]) == "é")
        #expect(try doc.stringBytes(e[1]) == Array("é€😀".utf8))
        let keyDoc = try document(#"{"k\u0065y":"Zm9v"}"#)
        #expect(keyDoc.member(keyDoc.root, "key") != nil)
    }

    @Test("syntax errors carry Go's messages")
    func syntaxErrors() {
        #expect(syntaxError(#"{"key":"Zm9v","#) == "unexpected EOF")
        #expect(syntaxError(#"{"key":"#) == "unexpected EOF")
        #expect(syntaxError(#"{"key":"Zm9"#) == "unexpected EOF")
        #expect(syntaxError("tru") == "unexpected EOF")
        #expect(syntaxError("") == "EOF")
        #expect(syntaxError("  \n") == "EOF")
        #expect(syntaxError(#"{"a" 1}"#) == "invalid character '1' after object key")
        #expect(syntaxError("[1,]") == "invalid character ']' looking for beginning of value")
        #expect(syntaxError(#"{"a":1 "b":2}"#) == "invalid character '\"' after object key:value pair")
        #expect(syntaxError("[1 2]") == "invalid character '2' after array element")
        #expect(syntaxError("{1:2}") == "invalid character '1' looking for beginning of object key string")
        #expect(syntaxError("trUe") == "invalid character 'U' in literal true (expecting 'u')")
        #expect(syntaxError("-x") == "invalid character 'x' in numeric literal")
        #expect(syntaxError("1.x") == "invalid character 'x' after decimal point in numeric literal")
        #expect(syntaxError("1e+x") == "invalid character 'x' in exponent of numeric literal")
        #expect(syntaxError("\"a\nb\"") == "invalid character '\\n' in string literal")
        #expect(syntaxError(#""\x""#) == "invalid character 'x' in string escape code")
        #expect(syntaxError(#""\u12g4""#) == "invalid character 'g' in \\u hexadecimal character escape")
        #expect(syntaxError("'a'") == "invalid character '\\'' looking for beginning of value")
        #expect(syntaxError("\u{1}") == "invalid character '\\x01' looking for beginning of value")
        #expect(syntaxError(String(repeating: "[", count: 2000)) == "exceeded max depth")
    }

    @Test("bytes after the first value are ignored; back-to-back objects parse one at a time")
    func streams() throws {
        let input = Array(#"{"create_request":{"key":"YQ=="}} {"cancel_request":{"watch_id":"1"}}garbage"#.utf8)
        var doc = JSONDocument()
        let first = try doc.parse(input)
        #expect(doc.member(doc.root, "create_request") != nil)
        let second = try doc.parse(input, from: first)
        #expect(try doc.int64(doc.member(doc.member(doc.root, "cancel_request")!, "watch_id")!) == 1)
        #expect(String(decoding: input[second...], as: UTF8.self) == "garbage")
        #expect(throws: JSONError.syntax("invalid character 'g' looking for beginning of value")) {
            try doc.parse(input, from: second)
        }
    }

    @Test("a non-object root is visible to the caller (etcd: cannot unmarshal string into map)")
    func roots() throws {
        #expect(try document(#""hello""#).kind(JSONIndex(raw: 0)) == .string)
        #expect(try document("[]").kind(JSONIndex(raw: 0)) == .array)
        #expect(JSONKind.array.goName == "array")
    }
}

@Suite struct JSONWriterTests {
    func text(_ writer: JSONWriter) -> String { String(decoding: writer.bytes, as: UTF8.self) }

    @Test("etcd's header and kvs: int64 as strings, base64, declaration order, zero omission")
    func rangeResponse() {
        var json = JSONWriter()
        json.beginObject()
        json.key("header")
        json.beginObject()
        json.uint64IfNonZero("cluster_id", 14_442_056_430_844_776_587)
        json.uint64IfNonZero("member_id", 9_470_864_252_456_025_745)
        json.int64IfNonZero("revision", 2)
        json.uint64IfNonZero("raft_term", 2)
        json.endObject()
        json.key("kvs")
        json.beginArray()
        json.beginObject()
        json.base64IfNonEmpty("key", Array("foo".utf8))
        json.int64IfNonZero("create_revision", 2)
        json.int64IfNonZero("mod_revision", 2)
        json.int64IfNonZero("version", 1)
        json.base64IfNonEmpty("value", Array("bar".utf8))
        json.int64IfNonZero("lease", 0)
        json.endObject()
        json.endArray()
        json.boolIfTrue("more", false)
        json.int64IfNonZero("count", 1)
        json.endObject()
        #expect(json.isComplete)
        #expect(text(json) == #"{"header":{"cluster_id":"14442056430844776587","member_id":"9470864252456025745","#
            + #""revision":"2","raft_term":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","#
            + #""version":"1","value":"YmFy"}],"count":"1"}"#)
    }

    @Test("numbers, negatives, booleans, null, empty containers, raw")
    func scalars() {
        var json = JSONWriter()
        json.beginArray()
        json.int64(-5)
        json.int64(Int64.min)
        json.uint64(UInt64.max)
        json.number(3_379_854_265)
        json.number(0)
        json.bool(true)
        json.null()
        json.beginObject()
        json.endObject()
        json.beginArray()
        json.endArray()
        json.raw(Array("{\"a\":1}".utf8))
        json.endArray()
        #expect(text(json) == #"["-5","-9223372036854775808","18446744073709551615",3379854265,0,true,null,"#
            + #"{},[],{"a":1}]"#)
        json.reset()
        json.string("x")
        #expect(text(json) == #""x""#)
    }

    @Test("strings are escaped as Go's encoding/json does (HTML-safe)")
    func escaping() {
        var json = JSONWriter()
        json.string("a\"b\\c\n\r\t\u{1}<>&\u{2028}é😀")
        #expect(text(json) == #""a\"b\\c\n\r\t\u0001\u003c\u003e\u0026\u2028é😀""#)
    }

    @Test("writer output reads back to the same values")
    func roundTrip() throws {
        var json = JSONWriter()
        json.beginObject()
        json.key("s")
        json.string("q\"\u{7}é😀")
        json.key(String("dyn\"amic"))
        json.uint64(UInt64.max)
        json.key("b")
        json.base64([0, 1, 2, 250, 255])
        json.endObject()
        var doc = JSONDocument()
        try doc.parse(json.bytes)
        #expect(try doc.string(doc.member(doc.root, "s")!) == "q\"\u{7}é😀")
        #expect(try doc.uint64(doc.member(doc.root, "dyn\"amic")!) == UInt64.max)
        #expect(try doc.base64Bytes(doc.member(doc.root, "b")!) == [0, 1, 2, 250, 255])
    }

    @Test("etcd error bodies, unary and in a stream (API.md section 3)")
    func errors() {
        var json = JSONWriter()
        json.etcdError(message: "unexpected EOF", code: 3)
        #expect(text(json) == #"{"error":"unexpected EOF","message":"unexpected EOF","code":3}"#)
        json.reset()
        json.etcdStreamError(message: "grpc: received message larger than max (3145738 vs. 2097152)",
                             grpcCode: 8, httpCode: 429)
        #expect(text(json) == #"{"error":{"grpc_code":8,"http_code":429,"message":"grpc: received message "#
            + #"larger than max (3145738 vs. 2097152)","http_status":"Too Many Requests"}}"#)
    }
}

@Suite struct Base64Tests {
    @Test("RFC 4648 vectors encode and decode")
    func vectors() throws {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors.sorted(by: { $0.key < $1.key }) {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test("every length and byte value round-trips")
    func roundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            #expect(try Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(try Base64.decode(Base64.encode(Array(0...255))) == Array(0...255))
    }

    @Test("Go's error offsets: unpadded, URL-safe, bad bytes, bad padding, trailing data (#24, #25, #340)")
    func errors() {
        let cases: [(String, Int)] = [
            ("Zm9vMQ", 4), ("-_-_", 0), ("not base64!", 3), ("Zg=", 3), ("Zg==x", 4), ("Z===", 1), ("=", 0),
            ("Z", 0), ("Zm9vY", 4), ("Zm=v", 2), ("Zm9v====", 4),
        ]
        for (input, offset) in cases {
            #expect(throws: Base64.DecodeError(offset: offset), "\(input)") { try Base64.decode(input) }
        }
        #expect(Base64.DecodeError(offset: 3).description == "illegal base64 data at input byte 3")
    }

    @Test("newlines are skipped, as Go's decoder does")
    func newlines() throws {
        #expect(try Base64.decode("Zm9v\nYmFy\r\n") == Array("foobar".utf8))
        #expect(try Base64.decode("Zg=\n=") == Array("f".utf8))
    }
}
