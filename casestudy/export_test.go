package casestudy

// SetBatchFault makes every message batch's transaction call fault with the batch's size
// first, and fail with what it returns (tests only).
func SetBatchFault(s *Service, fault func(batchSize int) error) { s.writer.fault = fault }
