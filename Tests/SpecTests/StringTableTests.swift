import XCTest
import Spec

final class StringTableTests: XCTestCase {
    func testLookupSetReplaceRemove() {
        var t = StringTable()
        XCTAssertTrue(t.isEmpty)
        XCTAssertNil(t["a"])
        t["a"] = "1"
        t["b"] = "2"
        XCTAssertEqual(t["a"], "1")
        XCTAssertEqual(t["b"], "2")
        XCTAssertEqual(t.count, 2)
        t["a"] = "3"  // replaced in place: order kept
        XCTAssertEqual(t.keys, ["a", "b"])
        XCTAssertEqual(t.values, ["3", "2"])
        t["a"] = nil
        XCTAssertEqual(t.keys, ["b"])
        XCTAssertEqual(t.values, ["2"])
        t["zz"] = nil  // removing a missing key is a no-op
        XCTAssertEqual(t.count, 1)
        XCTAssertEqual(t, ["b": "2"])
        XCTAssertNotEqual(t, ["b": "3"])
        // An empty key is a key like any other (/proc/self/cgroup's v2 line).
        t[""] = "/"
        XCTAssertEqual(t[""], "/")
    }
}

final class StringTableJSONTests: XCTestCase {
    func testAnnotationsDecodeInOrderAndReencode() throws {
        let spec = try Spec.parse(Array(#"{"ociVersion":"1.0.2","annotations":{"z":"1","a":"2","z":"3"}}"#.utf8))
        let a = try XCTUnwrap(spec.annotations)
        XCTAssertEqual(a.keys, ["z", "a"])      // document order; a repeated key keeps its last value
        XCTAssertEqual(a.values, ["3", "2"])
        XCTAssertEqual(a.sortedByKey().keys, ["a", "z"])
        XCTAssertEqual(a.sortedByKey().values, ["2", "3"])
        XCTAssertEqual(a.jsonObject.serialized(), #"{"z":"3","a":"2"}"#)
    }

    func testAnnotationValueMustBeAString() {
        XCTAssertThrowsError(try Spec.parse(Array(#"{"ociVersion":"1.0.2","annotations":{"k":1}}"#.utf8))) { e in
            XCTAssertTrue("\(e)".contains("annotations"), "\(e)")
        }
        XCTAssertThrowsError(try Spec.parse(Array(#"{"ociVersion":"1.0.2","annotations":["k"]}"#.utf8)))
    }
}
