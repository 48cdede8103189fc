// Decoders for the linux types; the mechanics live in JSONDecodingSupport.swift.

extension Linux: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.uidMappings = try r.optional("uidMappings")
        self.gidMappings = try r.optional("gidMappings")
        self.sysctl = try r.optional("sysctl")
        self.resources = try r.optional("resources")
        self.cgroupsPath = try r.optional("cgroupsPath")
        self.namespaces = try r.optional("namespaces")
        self.devices = try r.optional("devices")
        self.netDevices = try r.optional("netDevices")
        self.seccomp = try r.optional("seccomp")
        self.rootfsPropagation = try r.optional("rootfsPropagation")
        self.maskedPaths = try r.optional("maskedPaths")
        self.readonlyPaths = try r.optional("readonlyPaths")
        self.mountLabel = try r.optional("mountLabel")
        self.intelRdt = try r.optional("intelRdt")
        self.memoryPolicy = try r.optional("memoryPolicy")
        self.personality = try r.optional("personality")
        self.timeOffsets = try r.optional("timeOffsets")
    }
}

extension LinuxNamespace: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.type = try r.required("type")
        self.path = try r.optional("path")
    }
}

extension LinuxDevice: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.path = try r.required("path")
        self.type = try r.required("type")
        self.major = try r.optional("major")
        self.minor = try r.optional("minor")
        self.fileMode = try r.optional("fileMode")
        self.uid = try r.optional("uid")
        self.gid = try r.optional("gid")
    }
}

extension LinuxNetDevice: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.name = try r.optional("name")
    }
}

extension LinuxPersonality: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.domain = try r.required("domain")
        self.flags = try r.optional("flags")
    }
}

extension LinuxTimeOffset: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.secs = try r.optional("secs")
        self.nanosecs = try r.optional("nanosecs")
    }
}

extension LinuxIntelRdt: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.closID = try r.optional("closID")
        self.schemata = try r.optional("schemata")
        self.l3CacheSchema = try r.optional("l3CacheSchema")
        self.memBwSchema = try r.optional("memBwSchema")
        self.enableMonitoring = try r.optional("enableMonitoring")
    }
}

extension LinuxMemoryPolicy: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.mode = try r.required("mode")
        self.nodes = try r.optional("nodes")
        self.flags = try r.optional("flags")
    }
}
