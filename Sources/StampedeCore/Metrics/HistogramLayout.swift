/// The bucket layout of every latency histogram: HdrHistogram's, for 1 µs to 60 s at three significant digits
/// (2048 sub-buckets, each bucket twice as wide as the one before). Integer arithmetic only, so recording is a
/// few instructions and every histogram, sparse or dense, agrees on what a bucket is. The layout and its
/// percentile rules are checked against hdrhistogram-swift in the tests.
public enum HistogramLayout {
    @usableFromInline static let subBucketCountMagnitude = 11
    @usableFromInline static let subBucketHalfCountMagnitude = 10
    @usableFromInline static let subBucketCount = 1 << 11
    @usableFromInline static let subBucketHalfCount = 1 << 10
    @usableFromInline static let subBucketMask: UInt64 = (1 << 11) - 1
    @usableFromInline static let leadingZeroCountBase = 64 - 11
    public static let highestTrackable: UInt64 = 60_000_000

    /// Buckets needed so that the highest trackable value has a place.
    static let bucketCount: Int = {
        var smallestUntrackable = UInt64(subBucketCount)
        var count = 1
        while smallestUntrackable <= highestTrackable {
            smallestUntrackable <<= 1
            count += 1
        }
        return count
    }()

    public static let countsLength = (bucketCount + 1) * subBucketHalfCount

    @inlinable
    static func bucketIndex(_ value: UInt64) -> Int {
        leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
    }

    /// Where a value is counted.
    @inlinable
    public static func index(of value: UInt64) -> Int {
        let bucket = bucketIndex(value)
        let subBucket = Int(value >> bucket)
        return ((bucket + 1) << subBucketHalfCountMagnitude) + (subBucket - subBucketHalfCount)
    }

    /// The lowest value counted at an index.
    @inlinable
    public static func lowestValue(at index: Int) -> UInt64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return UInt64(subBucket) << bucket
    }

    /// How many values share a bucket with `value`.
    @inlinable
    public static func width(of value: UInt64) -> UInt64 {
        let bucket = bucketIndex(value)
        let subBucket = Int(value >> bucket)
        return UInt64(1) << (subBucket >= subBucketCount ? bucket + 1 : bucket)
    }

    @inlinable
    public static func lowestEquivalent(_ value: UInt64) -> UInt64 {
        let bucket = bucketIndex(value)
        return (value >> bucket) << bucket
    }

    /// The top of the bucket holding `value`: what a histogram reports for it.
    @inlinable
    public static func highestEquivalent(_ value: UInt64) -> UInt64 {
        lowestEquivalent(value) + width(of: value) - 1
    }

    @inlinable
    public static func medianEquivalent(_ value: UInt64) -> UInt64 {
        lowestEquivalent(value) + (width(of: value) >> 1)
    }

    /// The count a percentile reaches in a histogram of `total` values (HdrHistogram's rounding).
    @inlinable
    public static func countAt(percentile: Double, total: UInt64) -> UInt64 {
        let requested = min(max(percentile.nextDown, 0), 100)
        return max(1, UInt64((requested * Double(total) / 100).rounded(.up)))
    }
}
