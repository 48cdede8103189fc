// Decoders for the seccomp types; the mechanics live in JSONDecodingSupport.swift.

extension LinuxSeccomp: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.defaultAction = try r.required("defaultAction")
        self.defaultErrnoRet = try r.optional("defaultErrnoRet")
        self.architectures = try r.optional("architectures")
        self.flags = try r.optional("flags")
        self.listenerPath = try r.optional("listenerPath")
        self.listenerMetadata = try r.optional("listenerMetadata")
        self.syscalls = try r.optional("syscalls")
    }
}

extension LinuxSyscall: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.names = try r.required("names")
        self.action = try r.required("action")
        self.errnoRet = try r.optional("errnoRet")
        self.args = try r.optional("args")
    }
}

extension LinuxSeccompArg: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.index = try r.required("index")
        self.value = try r.required("value")
        self.valueTwo = try r.optional("valueTwo")
        self.op = try r.required("op")
    }
}
