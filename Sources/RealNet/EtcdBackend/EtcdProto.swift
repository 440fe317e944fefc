import Core

/// The protobuf records etcd keeps in its backend: `mvccpb.KeyValue`, `leasepb.Lease`, `authpb.User`,
/// `authpb.Role` and `etcdserverpb.AlarmMember`, in gogo's canonical encoding (fields in number order,
/// defaults omitted), read with Go's rules (`ProtobufReader`).
enum EtcdProto {
    static func keyValue(_ kv: KeyValue) -> [UInt8] {
        var writer = ProtobufWriter(capacity: kv.key.count + kv.value.count + 40)
        ProtobufEncoder.keyValue(kv, into: &writer)
        return writer.bytes
    }

    static func keyValue(_ bytes: [UInt8]) throws(ProtobufDecodeError) -> KeyValue {
        var reader = ProtobufReader(bytes[...], message: "KeyValue")
        var kv = KeyValue(key: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: kv.key = try reader.bytes(field, "Key")
            case 2: kv.createRevision = Revision(try reader.int64(field, "CreateRevision"))
            case 3: kv.modRevision = Revision(try reader.int64(field, "ModRevision"))
            case 4: kv.version = try reader.int64(field, "Version")
            case 5: kv.value = try reader.bytes(field, "Value")
            case 6: kv.lease = LeaseID(try reader.int64(field, "Lease"))
            default: try reader.skip(field)
            }
        }
        return kv
    }

    /// `leasepb.Lease`: 1 ID, 2 TTL, 3 RemainingTTL.
    static func lease(_ lease: EtcdLease) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 32)
        writer.int64Field(1, lease.id)
        writer.int64Field(2, lease.ttlSeconds)
        writer.int64Field(3, lease.remainingTTLSeconds)
        return writer.bytes
    }

    static func lease(_ bytes: [UInt8]) throws(ProtobufDecodeError) -> EtcdLease {
        var reader = ProtobufReader(bytes[...], message: "Lease")
        var lease = EtcdLease(id: 0, ttlSeconds: 0)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: lease.id = try reader.int64(field, "ID")
            case 2: lease.ttlSeconds = try reader.int64(field, "TTL")
            case 3: lease.remainingTTLSeconds = try reader.int64(field, "RemainingTTL")
            default: try reader.skip(field)
            }
        }
        return lease
    }

    /// `authpb.User`: 1 name, 2 password (the bcrypt hash), 3 roles, 4 options (`UserAddOptions`: 1 no_password).
    static func user(_ user: AuthUser) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 128)
        writer.bytesField(1, user.name)
        writer.bytesField(2, user.passwordHash)
        for role in user.roles { writer.bytesElement(3, role) }
        if user.noPassword {
            let start = writer.beginMessage(4)
            writer.boolField(1, true)
            writer.endMessage(start)
        }
        return writer.bytes
    }

    static func user(_ bytes: [UInt8]) throws(ProtobufDecodeError) -> AuthUser {
        var reader = ProtobufReader(bytes[...], message: "User")
        var user = AuthUser(name: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: user.name = try reader.bytes(field, "Name")
            case 2: user.passwordHash = try reader.bytes(field, "Password")
            case 3: user.roles.append(try reader.bytes(field, "Roles"))
            case 4:
                var options = try reader.message(field, "Options", type: "UserAddOptions")
                while let inner = try options.nextField() {
                    if inner.number == 1 { user.noPassword = try options.bool(inner, "NoPassword") } else {
                        try options.skip(inner)
                    }
                }
            default: try reader.skip(field)
            }
        }
        return user
    }

    /// `authpb.Role`: 1 name, 2 keyPermission (`Permission`: 1 permType, 2 key, 3 range_end).
    static func role(_ role: AuthRole) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 128)
        writer.bytesField(1, role.name)
        for permission in role.permissions {
            let start = writer.beginMessage(2)
            writer.enumField(1, permission.type.rawValue)
            writer.bytesField(2, permission.key)
            writer.bytesField(3, permission.rangeEnd)
            writer.endMessage(start)
        }
        return writer.bytes
    }

    static func role(_ bytes: [UInt8]) throws(ProtobufDecodeError) -> AuthRole {
        var reader = ProtobufReader(bytes[...], message: "Role")
        var role = AuthRole(name: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: role.name = try reader.bytes(field, "Name")
            case 2:
                var sub = try reader.message(field, "KeyPermission", type: "Permission")
                var permission = Permission(key: [])
                while let inner = try sub.nextField() {
                    switch inner.number {
                    case 1: permission.type = PermissionType(rawValue: try sub.enumValue(inner, "PermType"))
                    case 2: permission.key = try sub.bytes(inner, "Key")
                    case 3: permission.rangeEnd = try sub.bytes(inner, "RangeEnd")
                    default: try sub.skip(inner)
                    }
                }
                role.permissions.append(permission)
            default: try reader.skip(field)
            }
        }
        return role
    }

    /// `etcdserverpb.AlarmMember`: 1 memberID, 2 alarm.
    static func alarm(_ alarm: Alarm) -> [UInt8] {
        var writer = ProtobufWriter(capacity: 16)
        writer.uint64Field(1, alarm.member.value)
        writer.enumField(2, Int32(alarm.type.rawValue))
        return writer.bytes
    }

    static func alarm(_ bytes: [UInt8]) throws(ProtobufDecodeError) -> (member: UInt64, type: Int32) {
        var reader = ProtobufReader(bytes[...], message: "AlarmMember")
        var member: UInt64 = 0
        var type: Int32 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: member = try reader.uint64(field, "MemberID")
            case 2: type = try reader.enumValue(field, "Alarm")
            default: try reader.skip(field)
            }
        }
        return (member, type)
    }
}
