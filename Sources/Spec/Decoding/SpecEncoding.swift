// Encoders for all spec types, members in specs-go/config.go order.

extension Spec: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("ociVersion", ociVersion)
        o.add("process", process)
        o.add("root", root)
        o.add("hostname", hostname)
        o.add("domainname", domainname)
        o.add("mounts", mounts)
        o.add("hooks", hooks)
        o.add("annotations", annotations)
        o.add("linux", linux)
        return o.value
    }
}

extension Root: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("path", path)
        o.add("readonly", readonly)
        return o.value
    }
}

extension Mount: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("destination", destination)
        o.add("type", type)
        o.add("source", source)
        o.add("options", options)
        o.add("uidMappings", uidMappings)
        o.add("gidMappings", gidMappings)
        return o.value
    }
}

extension LinuxIDMapping: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("containerID", containerID)
        o.add("hostID", hostID)
        o.add("size", size)
        return o.value
    }
}

extension Hook: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("path", path)
        o.add("args", args)
        o.add("env", env)
        o.add("timeout", timeout)
        return o.value
    }
}

extension Hooks: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("prestart", prestart)
        o.add("createRuntime", createRuntime)
        o.add("createContainer", createContainer)
        o.add("startContainer", startContainer)
        o.add("poststart", poststart)
        o.add("poststop", poststop)
        return o.value
    }
}

extension Process: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("terminal", terminal)
        o.add("consoleSize", consoleSize)
        o.add("user", user)
        o.add("args", args)
        o.add("commandLine", commandLine)
        o.add("env", env)
        o.add("cwd", cwd)
        o.add("capabilities", capabilities)
        o.add("rlimits", rlimits)
        o.add("noNewPrivileges", noNewPrivileges)
        o.add("apparmorProfile", apparmorProfile)
        o.add("oomScoreAdj", oomScoreAdj)
        o.add("scheduler", scheduler)
        o.add("selinuxLabel", selinuxLabel)
        o.add("ioPriority", ioPriority)
        o.add("execCPUAffinity", execCPUAffinity)
        return o.value
    }
}

extension Box: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("height", height)
        o.add("width", width)
        return o.value
    }
}

extension User: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("uid", uid)
        o.add("gid", gid)
        o.add("umask", umask)
        o.add("additionalGids", additionalGids)
        o.add("username", username)
        return o.value
    }
}

extension LinuxCapabilities: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("bounding", bounding)
        o.add("effective", effective)
        o.add("inheritable", inheritable)
        o.add("permitted", permitted)
        o.add("ambient", ambient)
        return o.value
    }
}

extension POSIXRlimit: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("type", type)
        o.add("hard", hard)
        o.add("soft", soft)
        return o.value
    }
}

extension Scheduler: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("policy", policy)
        o.add("nice", nice)
        o.add("priority", priority)
        o.add("flags", flags)
        o.add("runtime", runtime)
        o.add("deadline", deadline)
        o.add("period", period)
        return o.value
    }
}

extension LinuxIOPriority: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("class", `class`)
        o.add("priority", priority)
        return o.value
    }
}

extension CPUAffinity: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("initial", initial)
        o.add("final", final)
        return o.value
    }
}

extension Linux: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("uidMappings", uidMappings)
        o.add("gidMappings", gidMappings)
        o.add("sysctl", sysctl)
        o.add("resources", resources)
        o.add("cgroupsPath", cgroupsPath)
        o.add("namespaces", namespaces)
        o.add("devices", devices)
        o.add("netDevices", netDevices)
        o.add("seccomp", seccomp)
        o.add("rootfsPropagation", rootfsPropagation)
        o.add("maskedPaths", maskedPaths)
        o.add("readonlyPaths", readonlyPaths)
        o.add("mountLabel", mountLabel)
        o.add("intelRdt", intelRdt)
        o.add("memoryPolicy", memoryPolicy)
        o.add("personality", personality)
        o.add("timeOffsets", timeOffsets)
        return o.value
    }
}

extension LinuxNamespace: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("type", type)
        o.add("path", path)
        return o.value
    }
}

extension LinuxDevice: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("path", path)
        o.add("type", type)
        o.add("major", major)
        o.add("minor", minor)
        o.add("fileMode", fileMode)
        o.add("uid", uid)
        o.add("gid", gid)
        return o.value
    }
}

extension LinuxNetDevice: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("name", name)
        return o.value
    }
}

extension LinuxPersonality: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("domain", domain)
        o.add("flags", flags)
        return o.value
    }
}

extension LinuxTimeOffset: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("secs", secs)
        o.add("nanosecs", nanosecs)
        return o.value
    }
}

extension LinuxIntelRdt: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("closID", closID)
        o.add("schemata", schemata)
        o.add("l3CacheSchema", l3CacheSchema)
        o.add("memBwSchema", memBwSchema)
        o.add("enableMonitoring", enableMonitoring)
        return o.value
    }
}

extension LinuxMemoryPolicy: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("mode", mode)
        o.add("nodes", nodes)
        o.add("flags", flags)
        return o.value
    }
}

extension LinuxResources: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("devices", devices)
        o.add("memory", memory)
        o.add("cpu", cpu)
        o.add("pids", pids)
        o.add("blockIO", blockIO)
        o.add("hugepageLimits", hugepageLimits)
        o.add("network", network)
        o.add("rdma", rdma)
        o.add("unified", unified)
        return o.value
    }
}

extension LinuxDeviceCgroup: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("allow", allow)
        o.add("type", type)
        o.add("major", major)
        o.add("minor", minor)
        o.add("access", access)
        return o.value
    }
}

extension LinuxMemory: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("limit", limit)
        o.add("reservation", reservation)
        o.add("swap", swap)
        o.add("kernel", kernel)
        o.add("kernelTCP", kernelTCP)
        o.add("swappiness", swappiness)
        o.add("disableOOMKiller", disableOOMKiller)
        o.add("useHierarchy", useHierarchy)
        o.add("checkBeforeUpdate", checkBeforeUpdate)
        return o.value
    }
}

extension LinuxCPU: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("shares", shares)
        o.add("quota", quota)
        o.add("burst", burst)
        o.add("period", period)
        o.add("realtimeRuntime", realtimeRuntime)
        o.add("realtimePeriod", realtimePeriod)
        o.add("cpus", cpus)
        o.add("mems", mems)
        o.add("idle", idle)
        return o.value
    }
}

extension LinuxPids: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("limit", limit)
        return o.value
    }
}

extension LinuxBlockIO: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("weight", weight)
        o.add("leafWeight", leafWeight)
        o.add("weightDevice", weightDevice)
        o.add("throttleReadBpsDevice", throttleReadBpsDevice)
        o.add("throttleWriteBpsDevice", throttleWriteBpsDevice)
        o.add("throttleReadIOPSDevice", throttleReadIOPSDevice)
        o.add("throttleWriteIOPSDevice", throttleWriteIOPSDevice)
        return o.value
    }
}

extension LinuxWeightDevice: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("major", major)
        o.add("minor", minor)
        o.add("weight", weight)
        o.add("leafWeight", leafWeight)
        return o.value
    }
}

extension LinuxThrottleDevice: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("major", major)
        o.add("minor", minor)
        o.add("rate", rate)
        return o.value
    }
}

extension LinuxHugepageLimit: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("pageSize", pageSize)
        o.add("limit", limit)
        return o.value
    }
}

extension LinuxNetwork: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("classID", classID)
        o.add("priorities", priorities)
        return o.value
    }
}

extension LinuxInterfacePriority: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("name", name)
        o.add("priority", priority)
        return o.value
    }
}

extension LinuxRdma: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("hcaHandles", hcaHandles)
        o.add("hcaObjects", hcaObjects)
        return o.value
    }
}

extension LinuxSeccomp: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("defaultAction", defaultAction)
        o.add("defaultErrnoRet", defaultErrnoRet)
        o.add("architectures", architectures)
        o.add("flags", flags)
        o.add("listenerPath", listenerPath)
        o.add("listenerMetadata", listenerMetadata)
        o.add("syscalls", syscalls)
        return o.value
    }
}

extension LinuxSyscall: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("names", names)
        o.add("action", action)
        o.add("errnoRet", errnoRet)
        o.add("args", args)
        return o.value
    }
}

extension LinuxSeccompArg: JSONEncodable {
    public var jsonValue: JSONValue {
        var o = ObjectBuilder()
        o.add("index", index)
        o.add("value", value)
        o.add("valueTwo", valueTwo)
        o.add("op", op)
        return o.value
    }
}
