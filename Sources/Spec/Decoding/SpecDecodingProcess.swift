// Decoders for the process types; the mechanics live in JSONDecodingSupport.swift.

extension Process: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.terminal = try r.optional("terminal")
        self.consoleSize = try r.optional("consoleSize")
        self.user = try r.optional("user")
        self.args = try r.optional("args")
        self.commandLine = try r.optional("commandLine")
        self.env = try r.optional("env")
        self.cwd = try r.required("cwd")
        self.capabilities = try r.optional("capabilities")
        self.rlimits = try r.optional("rlimits")
        self.noNewPrivileges = try r.optional("noNewPrivileges")
        self.apparmorProfile = try r.optional("apparmorProfile")
        self.oomScoreAdj = try r.optional("oomScoreAdj")
        self.scheduler = try r.optional("scheduler")
        self.selinuxLabel = try r.optional("selinuxLabel")
        self.ioPriority = try r.optional("ioPriority")
        self.execCPUAffinity = try r.optional("execCPUAffinity")
    }
}

extension Box: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.height = try r.required("height")
        self.width = try r.required("width")
    }
}

extension User: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.uid = try r.required("uid")
        self.gid = try r.required("gid")
        self.umask = try r.optional("umask")
        self.additionalGids = try r.optional("additionalGids")
        self.username = try r.optional("username")
    }
}

extension LinuxCapabilities: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.bounding = try r.optional("bounding")
        self.effective = try r.optional("effective")
        self.inheritable = try r.optional("inheritable")
        self.permitted = try r.optional("permitted")
        self.ambient = try r.optional("ambient")
    }
}

extension POSIXRlimit: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.type = try r.required("type")
        self.hard = try r.required("hard")
        self.soft = try r.required("soft")
    }
}

extension Scheduler: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.policy = try r.required("policy")
        self.nice = try r.optional("nice")
        self.priority = try r.optional("priority")
        self.flags = try r.optional("flags")
        self.runtime = try r.optional("runtime")
        self.deadline = try r.optional("deadline")
        self.period = try r.optional("period")
    }
}

extension LinuxIOPriority: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.`class` = try r.required("class")
        self.priority = try r.required("priority")
    }
}

extension CPUAffinity: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.initial = try r.optional("initial")
        self.final = try r.optional("final")
    }
}
