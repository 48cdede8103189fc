// Decoders for the resources types; the mechanics live in JSONDecodingSupport.swift.

extension LinuxResources: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.devices = try r.optional("devices")
        self.memory = try r.optional("memory")
        self.cpu = try r.optional("cpu")
        self.pids = try r.optional("pids")
        self.blockIO = try r.optional("blockIO")
        self.hugepageLimits = try r.optional("hugepageLimits")
        self.network = try r.optional("network")
        self.rdma = try r.optional("rdma")
        self.unified = try r.optional("unified")
    }
}

extension LinuxDeviceCgroup: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.allow = try r.required("allow")
        self.type = try r.optional("type")
        self.major = try r.optional("major")
        self.minor = try r.optional("minor")
        self.access = try r.optional("access")
    }
}

extension LinuxMemory: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.limit = try r.optional("limit")
        self.reservation = try r.optional("reservation")
        self.swap = try r.optional("swap")
        self.kernel = try r.optional("kernel")
        self.kernelTCP = try r.optional("kernelTCP")
        self.swappiness = try r.optional("swappiness")
        self.disableOOMKiller = try r.optional("disableOOMKiller")
        self.useHierarchy = try r.optional("useHierarchy")
        self.checkBeforeUpdate = try r.optional("checkBeforeUpdate")
    }
}

extension LinuxCPU: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.shares = try r.optional("shares")
        self.quota = try r.optional("quota")
        self.burst = try r.optional("burst")
        self.period = try r.optional("period")
        self.realtimeRuntime = try r.optional("realtimeRuntime")
        self.realtimePeriod = try r.optional("realtimePeriod")
        self.cpus = try r.optional("cpus")
        self.mems = try r.optional("mems")
        self.idle = try r.optional("idle")
    }
}

extension LinuxPids: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.limit = try r.optional("limit")
    }
}

extension LinuxBlockIO: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.weight = try r.optional("weight")
        self.leafWeight = try r.optional("leafWeight")
        self.weightDevice = try r.optional("weightDevice")
        self.throttleReadBpsDevice = try r.optional("throttleReadBpsDevice")
        self.throttleWriteBpsDevice = try r.optional("throttleWriteBpsDevice")
        self.throttleReadIOPSDevice = try r.optional("throttleReadIOPSDevice")
        self.throttleWriteIOPSDevice = try r.optional("throttleWriteIOPSDevice")
    }
}

extension LinuxWeightDevice: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.major = try r.required("major")
        self.minor = try r.required("minor")
        self.weight = try r.optional("weight")
        self.leafWeight = try r.optional("leafWeight")
    }
}

extension LinuxThrottleDevice: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.major = try r.required("major")
        self.minor = try r.required("minor")
        self.rate = try r.required("rate")
    }
}

extension LinuxHugepageLimit: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.pageSize = try r.required("pageSize")
        self.limit = try r.required("limit")
    }
}

extension LinuxNetwork: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.classID = try r.optional("classID")
        self.priorities = try r.optional("priorities")
    }
}

extension LinuxInterfacePriority: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.name = try r.required("name")
        self.priority = try r.required("priority")
    }
}

extension LinuxRdma: JSONDecodable {
    init(json: JSONValue, path: String) throws(RuntimeError) {
        let r = try ObjectReader(json, path)
        self.hcaHandles = try r.optional("hcaHandles")
        self.hcaObjects = try r.optional("hcaObjects")
    }
}
