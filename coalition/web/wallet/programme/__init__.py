"""What a member has and can get: points, tier, stamps, challenges, rewards and coupons, shops, giving, notices."""
