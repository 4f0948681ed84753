"""OSS flows through Alibaba's official Python clients, unmodified, against the local stand-in.

Usage: oss_flows.py oss2-v1 | oss2-v4 | v2-path | v2-virtual
Environment: VSR_OSS_ENDPOINT (http://localhost:PORT), VSR_AK, VSR_SK, VSR_BUCKET, VSR_WORK (a scratch folder).
Prints one JSON line {"client", "version", "checks": [{"name", "ok", "detail"}]}; exits 1 if any check failed.
Each check compares what the client got with what this script computed itself (bytes, MD5s, CRCs).
"""
import base64
import hashlib
import json
import os
import socket
import sys
import traceback

import crcmod
import requests

ENDPOINT = os.environ["VSR_OSS_ENDPOINT"]
AK, SK, BUCKET, WORK = os.environ["VSR_AK"], os.environ["VSR_SK"], os.environ["VSR_BUCKET"], os.environ["VSR_WORK"]
REGION = "cn-shanghai"
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[-1500:]})


def expect_error(name, fn, code):
    try:
        fn()
        check(name, False, "no error")
    except Exception as e:  # the clients' own exception types carry the service's error code
        got = getattr(e, "code", None) or getattr(e, "error_code", None) or str(e)
        check(name, code in str(got) or code in str(e), f"{type(e).__name__}: {got}")


def data(n, seed):
    return hashlib.sha256(seed.encode()).digest() * (n // 32) + b"x" * (n % 32)


def md5_hex(b):
    return hashlib.md5(b).hexdigest().upper()


# CRC-64/ECMA-182 the way OSS's docs and oss2 define it (crcmod: reflected, init 0 xored with ~0).
crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def multipart_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest().upper(), len(parts))


def write(path, payload):
    with open(path, "wb") as f:
        f.write(payload)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run_oss2(version):
    import oss2
    from oss2.models import PartInfo

    auth = oss2.AuthV4(AK, SK) if version == "v4" else oss2.Auth(AK, SK)
    bucket = oss2.Bucket(auth, ENDPOINT, BUCKET, region=REGION)
    p = f"oss2-{version}/"
    body = data(300 * 1024 + 7, "put")

    # put / get / range / head, with metadata; oss2 checks x-oss-hash-crc64ecma itself (enable_crc)
    r = bucket.put_object(
        p + "dir/a.bin",
        body,
        headers={"Content-Type": "video/mp4", "Content-Disposition": 'attachment; filename="a.bin"', "Cache-Control": "no-cache", "x-oss-meta-owner": "vsr"},
    )
    check("put etag is the MD5", r.etag == md5_hex(body), r.etag)
    check("put crc64", r.crc == crc64(body), r.crc)
    g = bucket.get_object(p + "dir/a.bin")
    got = g.read()
    check("get bytes", got == body, len(got))
    check("get metadata", g.headers.get("Content-Disposition") == 'attachment; filename="a.bin"' and g.headers.get("x-oss-meta-owner") == "vsr" and g.content_type == "video/mp4", dict(g.headers))
    check("get cache-control", g.headers.get("Cache-Control") == "no-cache")
    rg = bucket.get_object(p + "dir/a.bin", byte_range=(100, 1099))
    check("range get", rg.read() == body[100:1100] and rg.status == 206)
    h = bucket.head_object(p + "dir/a.bin")
    check("head", h.content_length == len(body) and h.etag == md5_hex(body) and h.object_type == "Normal", vars(h).get("headers"))
    m = bucket.get_object_meta(p + "dir/a.bin")
    check("get_object_meta", m.content_length == len(body) and m.etag == md5_hex(body))
    expect_error("conditional get (If-None-Match)", lambda: bucket.get_object(p + "dir/a.bin", headers={"If-None-Match": r.etag and f'"{r.etag}"'}), "304")
    expect_error("Content-MD5 verified", lambda: bucket.put_object(p + "bad-md5", b"abc", headers={"Content-MD5": base64.b64encode(hashlib.md5(b"abd").digest()).decode()}), "InvalidDigest")

    # listing: v1 and v2, delimiter -> common prefixes, paging, second-precision times
    for k in ["dir/b.bin", "dir/sub/c.bin", "dir/sub/d.bin", "e.bin"]:
        bucket.put_object(p + k, b"x")
    lst = bucket.list_objects(prefix=p, delimiter="/")
    check("v1 delimiter", [o.key for o in lst.object_list] == [p + "e.bin"] and lst.prefix_list == [p + "dir/"], (lst.prefix_list, [o.key for o in lst.object_list]))
    lst = bucket.list_objects_v2(prefix=p + "dir/", delimiter="/")
    check("v2 delimiter", [o.key for o in lst.object_list] == [p + "dir/a.bin", p + "dir/b.bin"] and lst.prefix_list == [p + "dir/sub/"], (lst.prefix_list, [o.key for o in lst.object_list]))
    keys = [o.key for o in oss2.ObjectIterator(bucket, prefix=p, max_keys=2)]
    check("v1 paging", keys == sorted(p + k for k in ["dir/a.bin", "dir/b.bin", "dir/sub/c.bin", "dir/sub/d.bin", "e.bin"]), keys)
    keys = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=p, max_keys=2, start_after=p + "dir/b.bin")]
    check("v2 paging with start-after", keys == [p + "dir/sub/c.bin", p + "dir/sub/d.bin", p + "e.bin"], keys)
    times = [o.last_modified for o in bucket.list_objects(prefix=p).object_list]
    check("list last_modified parsed", all(isinstance(t, int) and t > 1_600_000_000 for t in times), times)

    # multipart: ListParts paging, the multipart ETag, ListMultipartUploads by prefix
    key = p + "mp/big.bin"
    parts = [data(120 * 1024, "p1"), data(110 * 1024, "p2"), data(5000, "p3")]
    up = bucket.init_multipart_upload(key, headers={"Content-Type": "video/mp4", "x-oss-meta-kind": "multipart"}).upload_id
    infos = []
    for i, part in enumerate(parts, 1):
        pr = bucket.upload_part(key, up, i, part)
        check(f"part {i} etag", pr.etag == md5_hex(part), pr.etag)
        infos.append(PartInfo(i, pr.etag, size=len(part), part_crc=pr.crc))
    listed = list(oss2.PartIterator(bucket, key, up, max_parts=2))
    check("ListParts paging", [x.part_number for x in listed] == [1, 2, 3] and [x.size for x in listed] == [len(x) for x in parts] and all(x.etag for x in listed), [(x.part_number, x.size) for x in listed])
    other = bucket.init_multipart_upload(p + "elsewhere/x.bin").upload_id
    uploads = [u.key for u in oss2.MultipartUploadIterator(bucket, prefix=p + "mp/")]
    check("ListMultipartUploads honours prefix", uploads == [key], uploads)
    bucket.abort_multipart_upload(p + "elsewhere/x.bin", other)
    done = bucket.complete_multipart_upload(key, up, infos)
    check("multipart etag", '"%s"' % done.etag == multipart_etag(parts), (done.etag, multipart_etag(parts)))
    check("multipart crc64", done.crc == crc64(b"".join(parts)), done.crc)
    g = bucket.get_object(key)
    check("multipart content and metadata kept", g.read() == b"".join(parts) and g.headers.get("x-oss-meta-kind") == "multipart" and g.headers.get("x-oss-object-type") == "Multipart")
    expect_error("complete with a wrong part ETag", lambda: bucket.complete_multipart_upload(key, bucket.init_multipart_upload(key).upload_id, [PartInfo(1, "0" * 32)]), "InvalidPart")

    # resumable upload and download (the SDK's checkpointed, multi-threaded helpers)
    src = write(os.path.join(WORK, f"oss2-{version}-src.bin"), data(900 * 1024 + 3, "resumable"))
    store = oss2.ResumableStore(root=os.path.join(WORK, f"oss2-{version}-store"))
    oss2.resumable_upload(bucket, p + "resumable.bin", src, store=store, multipart_threshold=200 * 1024, part_size=100 * 1024, num_threads=2)
    dst = os.path.join(WORK, f"oss2-{version}-dst.bin")
    oss2.resumable_download(bucket, p + "resumable.bin", dst, multiget_threshold=200 * 1024, part_size=100 * 1024, num_threads=2, store=oss2.ResumableDownloadStore(root=os.path.join(WORK, f"oss2-{version}-dstore")))
    check("resumable upload then download", read(dst) == read(src))

    # copy (metadata copied, or replaced), and part copy
    bucket.copy_object(BUCKET, p + "dir/a.bin", p + "copy.bin")
    c = bucket.get_object(p + "copy.bin")
    check("copy copies bytes and metadata", c.read() == body and c.headers.get("x-oss-meta-owner") == "vsr")
    bucket.copy_object(BUCKET, p + "dir/a.bin", p + "copy2.bin", headers={"x-oss-metadata-directive": "REPLACE", "x-oss-meta-owner": "other", "Content-Type": "text/plain"})
    c = bucket.head_object(p + "copy2.bin")
    check("copy with REPLACE", c.headers.get("x-oss-meta-owner") == "other" and c.content_type == "text/plain")
    up = bucket.init_multipart_upload(p + "partcopy.bin").upload_id
    pc = bucket.upload_part_copy(BUCKET, p + "dir/a.bin", (0, 102399), p + "partcopy.bin", up, 1)
    pr = bucket.upload_part(p + "partcopy.bin", up, 2, b"tail")
    bucket.complete_multipart_upload(p + "partcopy.bin", up, [PartInfo(1, pc.etag), PartInfo(2, pr.etag)])
    check("upload part copy", bucket.get_object(p + "partcopy.bin").read() == body[:102400] + b"tail")

    # presigned URLs (GET and PUT), with the signature version of the auth in use
    url = bucket.sign_url("GET", p + "dir/a.bin", 60)
    check("presigned GET", requests.get(url).content == body, url.split("?")[1][:60])
    url = bucket.sign_url("PUT", p + "presigned-put.bin", 60, headers={"Content-Type": "application/octet-stream"})
    resp = requests.put(url, data=b"presigned", headers={"Content-Type": "application/octet-stream"})
    check("presigned PUT", resp.status_code == 200 and bucket.get_object(p + "presigned-put.bin").read() == b"presigned", resp.status_code)
    bad = url.replace("Signature=", "Signature=AA").replace("x-oss-signature=", "x-oss-signature=00")
    check("tampered presigned URL refused", requests.put(bad, data=b"x", headers={"Content-Type": "application/octet-stream"}).status_code == 403)

    # sub-resources are answered, never served as the object's bytes
    a1 = bucket.append_object(p + "append.bin", 0, b"hello ")
    a2 = bucket.append_object(p + "append.bin", a1.next_position, b"world", init_crc=a1.crc)
    check("append", a2.next_position == 11 and bucket.get_object(p + "append.bin").read() == b"hello world" and a2.crc == crc64(b"hello world"))
    expect_error("append at a wrong position", lambda: bucket.append_object(p + "append.bin", 3, b"x"), "PositionNotEqualToLength")
    check("object acl", bucket.get_object_acl(p + "dir/a.bin").acl == "default")
    bucket.put_object_acl(p + "dir/a.bin", oss2.OBJECT_ACL_PRIVATE)
    check("object acl set", bucket.get_object_acl(p + "dir/a.bin").acl == "private")
    check("bucket info", bucket.get_bucket_info().name == BUCKET)
    bucket.put_object_tagging(p + "dir/a.bin", oss2.models.Tagging(oss2.models.TaggingRule()))
    rule = oss2.models.TaggingRule()
    rule.add("team", "vsr")
    bucket.put_object_tagging(p + "dir/a.bin", oss2.models.Tagging(rule))
    check("object tagging", bucket.get_object_tagging(p + "dir/a.bin").tag_set.tagging_rule == {"team": "vsr"})
    bucket.put_symlink(p + "dir/a.bin", p + "link")
    check("symlink", bucket.get_symlink(p + "link").target_key == p + "dir/a.bin" and bucket.get_object(p + "link").read() == body)

    # deletes
    bucket.delete_object(p + "copy2.bin")
    check("delete", not bucket.object_exists(p + "copy2.bin"))
    r = bucket.batch_delete_objects([p + "e.bin", p + "dir/b.bin"])
    check("batch delete", sorted(r.deleted_keys) == sorted([p + "e.bin", p + "dir/b.bin"]) and not bucket.object_exists(p + "e.bin"), r.deleted_keys)
    return oss2.__version__


def run_v2(virtual):
    import alibabacloud_oss_v2 as oss

    if virtual:
        # Name resolution only: bucket.localhost is loopback (RFC 6761), which glibc does not know.
        real = socket.getaddrinfo
        socket.getaddrinfo = lambda host, *a, **k: real("127.0.0.1" if str(host).endswith(".localhost") else host, *a, **k)
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK)
    cfg.region = REGION
    cfg.endpoint = ENDPOINT
    cfg.use_path_style = not virtual
    client = oss.Client(cfg)
    p = "v2-virtual/" if virtual else "v2-path/"
    body = data(250 * 1024 + 1, "v2")

    r = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=p + "a.bin", body=body, content_type="video/mp4", content_disposition="inline", metadata={"owner": "vsr"}))
    check("put etag", r.etag == '"%s"' % md5_hex(body) and r.hash_crc64 == str(crc64(body)), (r.etag, r.hash_crc64))
    g = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=p + "a.bin"))
    check("get bytes and metadata", g.body.read() == body and g.metadata.get("owner") == "vsr" and g.content_disposition == "inline" and g.content_type == "video/mp4")
    g = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=p + "a.bin", range_header="bytes=10-19"))
    check("range get", g.body.read() == body[10:20] and g.content_range == f"bytes 10-19/{len(body)}")
    h = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=p + "a.bin"))
    check("head", h.content_length == len(body) and h.hash_crc64 == str(crc64(body)))
    expect_error("head of a missing key", lambda: client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=p + "missing")), "NoSuchKey")
    for k in ["x/1", "x/2", "y/1", "z"]:
        client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=p + k, body=b"."))
    pages = list(client.list_objects_v2_paginator().iter_page(oss.ListObjectsV2Request(bucket=BUCKET, prefix=p, delimiter="/", max_keys=2)))
    prefixes = [c.prefix for pg in pages for c in (pg.common_prefixes or [])]
    keys = [o.key for pg in pages for o in (pg.contents or [])]
    check("v2 delimiter paging", prefixes == [p + "x/", p + "y/"] and keys == [p + "a.bin", p + "z"] and len(pages) == 2, (prefixes, keys, len(pages)))
    check("listed times", all(o.last_modified is not None for pg in pages for o in (pg.contents or [])))
    # uploader (multipart, parallel) and downloader (ranged, parallel), with CRC checks inside the SDK
    src = write(os.path.join(WORK, p.strip("/") + "-src.bin"), data(1024 * 1024 + 11, "uploader"))
    up = client.uploader(part_size=200 * 1024, parallel_num=3, leave_parts_on_error=False)
    res = up.upload_file(oss.PutObjectRequest(bucket=BUCKET, key=p + "big.bin"), filepath=src)
    check("uploader (multipart)", res.etag and res.etag.endswith('-6"'), res.etag)
    dst = os.path.join(WORK, p.strip("/") + "-dst.bin")
    client.downloader(part_size=200 * 1024, parallel_num=3).download_file(oss.GetObjectRequest(bucket=BUCKET, key=p + "big.bin"), filepath=dst)
    check("downloader (ranged)", read(dst) == read(src))
    cp = client.copier(part_size=200 * 1024, multipart_copy_threshold=300 * 1024, parallel_num=2)
    cp.copy(oss.CopyObjectRequest(bucket=BUCKET, key=p + "big-copy.bin", source_bucket=BUCKET, source_key=p + "big.bin"))
    check("copier (multipart copy)", client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=p + "big-copy.bin")).body.read() == read(src))
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=p + "a.bin"))
    check("presigned GET (V4 query)", requests.get(pre.url).content == body and "x-oss-signature" in pre.url, pre.url.split("?")[0])
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=p + "pput.bin"))
    check("presigned PUT", requests.put(pre.url, data=b"pp", headers=pre.signed_headers).status_code == 200)
    ap = client.append_file(BUCKET, p + "log.txt")
    ap.write(b"one,")
    ap.write(b"two")
    ap.close()
    check("append_file", client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=p + "log.txt")).body.read() == b"one,two")
    acl = client.get_object_acl(oss.GetObjectAclRequest(bucket=BUCKET, key=p + "a.bin"))
    check("object acl", acl.acl == "default", acl.acl)
    d = client.delete_multiple_objects(oss.DeleteMultipleObjectsRequest(bucket=BUCKET, objects=[oss.DeleteObject(key=p + "z"), oss.DeleteObject(key=p + "y/1")]))
    check("delete multiple", sorted(o.key for o in d.deleted_objects) == [p + "y/1", p + "z"])
    check("deleted", not client.is_object_exist(BUCKET, p + "z"))
    return oss.__version__ if hasattr(oss, "__version__") else "alibabacloud-oss-v2"


def main():
    mode = sys.argv[1]
    try:
        version = run_oss2("v4" if mode == "oss2-v4" else "v1") if mode.startswith("oss2") else run_v2(mode == "v2-virtual")
    except Exception:
        check("flow ran to the end", False, traceback.format_exc()[-1500:])
        version = "?"
    print(json.dumps({"client": mode, "version": version, "checks": checks}))
    sys.exit(0 if all(c["ok"] for c in checks) else 1)


if __name__ == "__main__":
    main()
