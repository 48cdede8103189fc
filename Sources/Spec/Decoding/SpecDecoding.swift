// Decoders for the top-level spec types; the mechanics live in JSONDecodingSupport.swift.

extension Spec: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.ociVersion = try r.required("ociVersion")
        self.process = try r.optional("process")
        self.root = try r.optional("root")
        self.hostname = try r.optional("hostname")
        self.domainname = try r.optional("domainname")
        self.mounts = try r.optional("mounts")
        self.hooks = try r.optional("hooks")
        self.annotations = try r.optional("annotations")
        self.linux = try r.optional("linux")
    }
}

extension Root: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.path = try r.required("path")
        self.readonly = try r.optional("readonly")
    }
}

extension Mount: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.destination = try r.required("destination")
        self.type = try r.optional("type")
        self.source = try r.optional("source")
        self.options = try r.optional("options")
        self.uidMappings = try r.optional("uidMappings")
        self.gidMappings = try r.optional("gidMappings")
    }
}

extension LinuxIDMapping: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.containerID = try r.required("containerID")
        self.hostID = try r.required("hostID")
        self.size = try r.required("size")
    }
}

extension Hook: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.path = try r.required("path")
        self.args = try r.optional("args")
        self.env = try r.optional("env")
        self.timeout = try r.optional("timeout")
    }
}

extension Hooks: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.prestart = try r.optional("prestart")
        self.createRuntime = try r.optional("createRuntime")
        self.createContainer = try r.optional("createContainer")
        self.startContainer = try r.optional("startContainer")
        self.poststart = try r.optional("poststart")
        self.poststop = try r.optional("poststop")
    }
}
